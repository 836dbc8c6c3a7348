using System.Globalization;
using System.Net;
using System.Text;

namespace Netlab.Labs.Http;

/// <summary>
/// A response's status line and header section (RFC 9112 section 4), written as ASCII bytes.
/// Every response the lab server sends carries the handout's six headers at least:
/// Connection, Date, Server, Last-Modified (for files), Content-Length and Content-Type.
/// </summary>
public sealed class HttpResponseHead(int status, HttpVersion version = HttpVersion.Http11)
{
    public const string ServerName = "Netlab/1.0";

    private readonly List<KeyValuePair<string, string>> headers = [];

    public int Status { get; } = status;

    public IReadOnlyList<KeyValuePair<string, string>> Headers => headers;

    public HttpResponseHead Add(string name, string value)
    {
        headers.Add(new(name, value));
        return this;
    }

    public string StatusLine => $"{(version == HttpVersion.Http11 ? "HTTP/1.1" : "HTTP/1.0")} {Status} {ReasonPhrase(Status)}";

    public byte[] ToBytes()
    {
        var text = new StringBuilder(256).Append(StatusLine).Append("\r\n");
        foreach (var (name, value) in headers)
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        return Encoding.ASCII.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>The lines of the head, for transcripts.</summary>
    public IEnumerable<string> Lines() => headers.Select(h => $"{h.Key}: {h.Value}").Prepend(StatusLine);

    public static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        301 => "Moved Permanently",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => ((HttpStatusCode)status).ToString(),
    };

    /// <summary>IMF-fixdate (RFC 9110 section 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".</summary>
    public static string FormatDate(DateTimeOffset time) => time.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>Parses an HTTP date; accepts IMF-fixdate and, as RFC 9110 asks, the two obsolete forms.</summary>
    public static bool TryParseDate(string? text, out DateTimeOffset time)
    {
        string[] formats = ["r", "dddd, dd-MMM-yy HH:mm:ss 'GMT'", "ddd MMM d HH:mm:ss yyyy"];
        return DateTimeOffset.TryParseExact(text?.Trim(), formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowInnerWhite | DateTimeStyles.AssumeUniversal, out time);
    }

    /// <summary>The small HTML page error responses carry.</summary>
    public static byte[] ErrorPage(int status, string detail)
    {
        var title = $"{status} {ReasonPhrase(status)}";
        return Encoding.UTF8.GetBytes(
            $"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body><h1>{title}</h1>\n<p>{WebUtility.HtmlEncode(detail)}</p>\n<hr><address>{ServerName}</address></body></html>\n");
    }
}
