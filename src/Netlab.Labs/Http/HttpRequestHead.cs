namespace Netlab.Labs.Http;

public enum HttpVersion { Http10, Http11 }

/// <summary>A parsed request line and header section (RFC 9112 sections 3 and 5).</summary>
public sealed record HttpRequestHead(string Method, string Target, HttpVersion Version, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public string VersionText => Version == HttpVersion.Http11 ? "HTTP/1.1" : "HTTP/1.0";

    /// <summary>The first value of a header (names compare case-insensitively), or null.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                return value;
        return null;
    }

    public int HeaderCount(string name) => Headers.Count(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Whether the connection stays open after the response (RFC 9112 section 9.3): 1.1 unless
    /// "close"; 1.0 only with "keep-alive".
    /// </summary>
    public bool KeepAlive
    {
        get
        {
            var connection = Header("Connection");
            bool Has(string token) => connection is not null && connection.Split(',').Any(t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase));
            return Version == HttpVersion.Http11 ? !Has("close") : Has("keep-alive");
        }
    }
}

/// <summary>Why a request was refused, each with the status the server answers.</summary>
public enum RequestRejectionReason
{
    MalformedRequestLine,
    InvalidMethod,
    InvalidRequestTarget,
    UnsupportedHttpVersion,
    MalformedHeader,
    RequestLineTooLong,
    HeadersTooLarge,
    TooManyHeaders,
    MissingHost,
    MultipleHosts,
    InvalidContentLength,
    UnsupportedTransferEncoding,
}

public static class RequestRejection
{
    public static int StatusCode(this RequestRejectionReason reason) => reason switch
    {
        RequestRejectionReason.UnsupportedHttpVersion => 505,
        RequestRejectionReason.RequestLineTooLong => 414,
        RequestRejectionReason.HeadersTooLarge or RequestRejectionReason.TooManyHeaders => 431,
        RequestRejectionReason.UnsupportedTransferEncoding => 501,
        _ => 400,
    };

    public static string Describe(this RequestRejectionReason reason) => reason switch
    {
        RequestRejectionReason.MalformedRequestLine => "The request line is not \"METHOD target HTTP/x.y\".",
        RequestRejectionReason.InvalidMethod => "The method is not a valid token.",
        RequestRejectionReason.InvalidRequestTarget => "The request target is not a valid path.",
        RequestRejectionReason.UnsupportedHttpVersion => "Only HTTP/1.0 and HTTP/1.1 are supported.",
        RequestRejectionReason.MalformedHeader => "A header line is not \"Name: value\".",
        RequestRejectionReason.RequestLineTooLong => "The request line is too long.",
        RequestRejectionReason.HeadersTooLarge => "The header section is too large.",
        RequestRejectionReason.TooManyHeaders => "There are too many header lines.",
        RequestRejectionReason.MissingHost => "An HTTP/1.1 request needs a Host header.",
        RequestRejectionReason.MultipleHosts => "A request may carry only one Host header.",
        RequestRejectionReason.InvalidContentLength => "The Content-Length header is not valid.",
        RequestRejectionReason.UnsupportedTransferEncoding => "Request bodies with Transfer-Encoding are not supported.",
        _ => reason.ToString(),
    };
}

/// <summary>Bounds on what a client may send before the server gives up on it.</summary>
public sealed record HttpLimits
{
    public int MaxRequestLine { get; init; } = 8 * 1024;
    public int MaxHeaderBytes { get; init; } = 16 * 1024;
    public int MaxHeaderCount { get; init; } = 100;
}
