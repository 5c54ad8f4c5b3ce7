/** The media type of a `Content-Type` header, lower-cased (media types are case-insensitive, RFC 9110 §8.3.1); undefined without one. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';', 1)[0]!.trim().toLowerCase();
}
