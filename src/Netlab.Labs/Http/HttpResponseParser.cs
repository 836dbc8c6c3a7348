using System.Text;

namespace Netlab.Labs.Http;

/// <summary>A response's status line and headers as a client parsed them.</summary>
public sealed record HttpResponseHeadParsed(string Version, int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public int HeaderCount(string name) => Headers.Count(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase));

    public string StatusLine => $"{Version} {Status} {Reason}".TrimEnd();
}

/// <summary>
/// Incremental, pure parser of a response head (RFC 9112 section 4): the client side of the lab.
/// Lenient where real servers are (bare LF line ends, a missing reason phrase), strict where a
/// wrong answer would mislead a grader (the status must be three digits).
/// </summary>
public static class HttpResponseParser
{
    public const int MaxHead = 64 * 1024;

    /// <summary>Header lines accepted at most (Kestrel's own limit for requests): each is an event in a transcript.</summary>
    public const int MaxHeaders = 100;

    public readonly record struct Result(ParseStatus Status, HttpResponseHeadParsed? Head, int Consumed, string? Error);

    public static Result Parse(ReadOnlySpan<byte> buffer)
    {
        var end = FindHeadEnd(buffer, out var consumed);
        if (end < 0)
            return buffer.Length > MaxHead
                ? new Result(ParseStatus.Rejected, null, 0, $"no end of the response head within {MaxHead} bytes")
                : new Result(ParseStatus.NeedMoreData, null, 0, null);

        var text = Encoding.Latin1.GetString(buffer[..end]);
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var statusLine = lines[0];
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal))
            return new Result(ParseStatus.Rejected, null, 0, $"not an HTTP status line: \"{Core.Printable.Ascii(Encoding.Latin1.GetBytes(statusLine), 120)}\"");
        if (parts[1].Length != 3 || !parts[1].All(char.IsAsciiDigit))
            return new Result(ParseStatus.Rejected, null, 0, $"the status code \"{parts[1]}\" is not three digits");
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0)
                continue;
            if (headers.Count == MaxHeaders)
                return new Result(ParseStatus.Rejected, null, 0, $"the server sent more than {MaxHeaders} header lines, this client's fixed limit");
            var colon = line.IndexOf(':');
            if (colon <= 0 || line[..colon].Any(char.IsWhiteSpace))
                return new Result(ParseStatus.Rejected, null, 0, $"malformed header line \"{Core.Printable.Ascii(Encoding.Latin1.GetBytes(line), 120)}\"");
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }
        var head = new HttpResponseHeadParsed(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts.Length > 2 ? parts[2] : "", headers);
        return new Result(ParseStatus.Complete, head, consumed, null);
    }

    private static int FindHeadEnd(ReadOnlySpan<byte> buffer, out int consumed)
    {
        consumed = 0;
        var lineStart = 0;
        while (lineStart < buffer.Length)
        {
            var rest = buffer[lineStart..];
            var nl = rest.IndexOf((byte)'\n');
            if (nl < 0)
                return -1;
            var lineLength = nl > 0 && rest[nl - 1] == (byte)'\r' ? nl - 1 : nl;
            if (lineLength == 0 && lineStart > 0)
            {
                consumed = lineStart + nl + 1;
                return lineStart;
            }
            lineStart += nl + 1;
        }
        return -1;
    }
}
