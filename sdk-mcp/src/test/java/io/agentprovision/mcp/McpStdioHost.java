package io.agentprovision.mcp;

import io.agentprovision.core.ProvisioningEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A host process serving the agent tools over stdio, as an MCP client starts one: the whole system
 * on loopback ({@link SandboxHost}) behind {@link AgentProvisionMcp#serveStdio}. Standard output is
 * the protocol's alone; anything else that prints goes to standard error. After each run it writes
 * every secret it holds to the file named by its first argument, so that the test in the other
 * process can check that none reached a tool result.
 */
public final class McpStdioHost {
  private McpStdioHost() {}

  public static void main(String[] args) throws Exception {
    Path canaryFile = Path.of(args[0]);
    PrintStream protocol = System.out;
    System.setOut(System.err);
    AtomicReference<SandboxHost> self = new AtomicReference<>();
    SandboxHost host = new SandboxHost(false, gate -> {}, event -> {
      if (event instanceof ProvisioningEvent.RunFinished && self.get() != null) {
        writeCanaries(self.get(), canaryFile);
      }
    });
    self.set(host);
    host.mcp().serveStdio(System.in, protocol);
    // the client closes the streams when it is done, which does not end this JVM; so it ends when its
    // parent (the test's JVM) does, and never outlives the build as an orphan
    ProcessHandle.current().parent().map(ProcessHandle::onExit).orElseGet(CompletableFuture::new).join();
    Runtime.getRuntime().halt(0);
  }

  private static void writeCanaries(SandboxHost host, Path file) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, String.join("\n", host.canaries()), StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
