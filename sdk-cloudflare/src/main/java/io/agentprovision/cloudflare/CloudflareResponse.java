package io.agentprovision.cloudflare;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A successful Cloudflare v4 answer: the envelope's {@code result} bound to the type the caller
 * asked for (null when a delete answered without one), the pagination of {@code result_info}, the
 * envelope's {@code messages[]}, the HTTP status and the request id.
 *
 * <pre>{@code
 * record Script(String id, String etag) {}
 * CloudflareResponse<Script> r = client.get("/accounts/" + id + "/workers/scripts/hello/settings",
 *     Map.of(), Script.class);
 * }</pre>
 *
 * @param <T> the result's type
 * @param status the HTTP status
 * @param result the {@code result} member, or null
 * @param page {@code result_info}: page numbers or cursor, when the answer is a list
 * @param messages the envelope's informational messages
 * @param requestId the {@code CF-Ray} header, when present
 */
public record CloudflareResponse<T>(int status, @Nullable T result, PageInfo page, List<CloudflareError> messages,
    @Nullable String requestId) {
  public CloudflareResponse {
    page = page == null ? PageInfo.NONE : page;
    messages = List.copyOf(messages);
  }

  /**
   * {@code result_info} of a list: page-numbered ({@code page}, {@code per_page}, {@code total_pages})
   * or cursor-based ({@code cursor}). Absent numbers are null.
   *
   * @param page this page's number
   * @param perPage the page size
   * @param count items on this page
   * @param totalCount items in all pages
   * @param totalPages pages in all
   * @param cursor where the next page starts, for cursor lists
   */
  public record PageInfo(@Nullable Integer page, @Nullable Integer perPage, @Nullable Integer count,
      @Nullable Integer totalCount, @Nullable Integer totalPages, @Nullable String cursor) {
    /** No {@code result_info}. */
    public static final PageInfo NONE = new PageInfo(null, null, null, null, null, null);
  }
}
