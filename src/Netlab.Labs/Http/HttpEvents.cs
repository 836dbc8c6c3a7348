using Netlab.Labs.Core;

namespace Netlab.Labs.Http;

/// <summary>One request a server answered, like a line of an access log.</summary>
public sealed record AccessLogEntry(string Client, string Method, string Target, int Status, long Bytes, double DurationMs) : LabEvent;

/// <summary>
/// A response as a client received it: status, headers, and the body (text as is when it is text,
/// else base64), cut at <c>BodyPreviewLimit</c> bytes, with the timings of the exchange.
/// </summary>
public sealed record HttpResponseView(
    int Status, string Reason, string Version, IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? ContentType, long BodyBytes, bool BodyIsText, string BodyPreview, bool BodyTruncated,
    double ConnectMs, double FirstByteMs, double TotalMs) : LabEvent;
