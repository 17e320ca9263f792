package io.agentprovision.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import javax.net.ServerSocketFactory;

/**
 * Server sockets whose accepted connections have {@code TCP_NODELAY} set. A MockWebServer writes a
 * response's headers and body separately; with Nagle's algorithm on, the body waits for the
 * client's delayed ACK, about 40 ms per exchange on Linux loopback. Install it before starting:
 *
 * <pre>{@code
 * MockWebServer server = new MockWebServer();
 * server.setServerSocketFactory(NoDelayServerSocketFactory.INSTANCE);
 * server.start();
 * }</pre>
 */
public final class NoDelayServerSocketFactory extends ServerSocketFactory {
  /** The shared instance. */
  public static final NoDelayServerSocketFactory INSTANCE = new NoDelayServerSocketFactory();

  private NoDelayServerSocketFactory() {}

  @Override
  public ServerSocket createServerSocket() throws IOException {
    return new ServerSocket() {
      @Override
      public Socket accept() throws IOException {
        Socket s = super.accept();
        s.setTcpNoDelay(true);
        return s;
      }
    };
  }

  @Override
  public ServerSocket createServerSocket(int port) throws IOException {
    ServerSocket s = createServerSocket();
    s.bind(new InetSocketAddress(port));
    return s;
  }

  @Override
  public ServerSocket createServerSocket(int port, int backlog) throws IOException {
    ServerSocket s = createServerSocket();
    s.bind(new InetSocketAddress(port), backlog);
    return s;
  }

  @Override
  public ServerSocket createServerSocket(int port, int backlog, InetAddress address) throws IOException {
    ServerSocket s = createServerSocket();
    s.bind(new InetSocketAddress(address, port), backlog);
    return s;
  }
}
