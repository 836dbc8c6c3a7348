using System.Text;

namespace Netlab.Labs.Http;

public enum ParseStatus { NeedMoreData, Complete, Rejected }

/// <summary>
/// Incremental, pure parser of an HTTP/1.x request head (RFC 9112): hand it everything received
/// so far; it answers NeedMoreData, Complete (with how many bytes the head took) or Rejected
/// (with the reason, which maps to 400, 414, 431, 501 or 505). It never throws on input and never
/// reads past the limits, so a client cannot make it buffer without bound.
/// </summary>
public static class HttpRequestParser
{
    public readonly record struct Result(ParseStatus Status, HttpRequestHead? Request, int Consumed, RequestRejectionReason Reason)
    {
        public static Result NeedMore => new(ParseStatus.NeedMoreData, null, 0, default);
        public static Result Reject(RequestRejectionReason reason) => new(ParseStatus.Rejected, null, 0, reason);
    }

    public static Result Parse(ReadOnlySpan<byte> buffer, HttpLimits limits)
    {
        // RFC 9112 section 2.2: a server SHOULD ignore at least one empty line before the request line.
        var start = 0;
        while (start < buffer.Length && start < 4 && buffer[start] is (byte)'\r' or (byte)'\n')
            start++;
        var data = buffer[start..];

        var firstLineEnd = data.IndexOf((byte)'\n');
        if (firstLineEnd < 0)
            return data.Length > limits.MaxRequestLine ? Result.Reject(RequestRejectionReason.RequestLineTooLong) : Result.NeedMore;
        if (firstLineEnd > limits.MaxRequestLine)
            return Result.Reject(RequestRejectionReason.RequestLineTooLong);

        // The header section ends at the first empty line.
        var headEnd = FindEmptyLine(data, firstLineEnd + 1, out var afterHead);
        if (headEnd < 0)
            return data.Length - firstLineEnd > limits.MaxHeaderBytes ? Result.Reject(RequestRejectionReason.HeadersTooLarge) : Result.NeedMore;
        if (headEnd - firstLineEnd > limits.MaxHeaderBytes)
            return Result.Reject(RequestRejectionReason.HeadersTooLarge);

        var requestLine = TrimCr(data[..firstLineEnd]);
        if (!TryParseRequestLine(requestLine, out var method, out var target, out var version, out var lineError))
            return Result.Reject(lineError);

        var headers = new List<KeyValuePair<string, string>>();
        var rest = data[(firstLineEnd + 1)..headEnd];
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = TrimCr(end < 0 ? rest : rest[..end]);
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (line.Length == 0)
                continue;
            if (headers.Count == limits.MaxHeaderCount)
                return Result.Reject(RequestRejectionReason.TooManyHeaders);
            if (!TryParseHeader(line, out var name, out var value))
                return Result.Reject(RequestRejectionReason.MalformedHeader);
            headers.Add(new(name, value));
        }

        var request = new HttpRequestHead(method, target, version, headers);
        if (Validate(request) is { } error)
            return Result.Reject(error);
        return new Result(ParseStatus.Complete, request, start + afterHead, default);
    }

    /// <summary>Index where the empty line starts, or -1; afterHead is the index just past it.</summary>
    private static int FindEmptyLine(ReadOnlySpan<byte> data, int from, out int afterHead)
    {
        afterHead = 0;
        var lineStart = from;
        while (lineStart <= data.Length)
        {
            var rest = data[lineStart..];
            var end = rest.IndexOf((byte)'\n');
            if (end < 0)
                return -1;
            var line = TrimCr(rest[..end]);
            if (line.Length == 0)
            {
                afterHead = lineStart + end + 1;
                return lineStart;
            }
            lineStart += end + 1;
        }
        return -1;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3)
    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out HttpVersion version, out RequestRejectionReason error)
    {
        method = target = "";
        version = default;
        error = RequestRejectionReason.MalformedRequestLine;
        var firstSpace = line.IndexOf((byte)' ');
        if (firstSpace <= 0)
            return false;
        var methodBytes = line[..firstSpace];
        var afterMethod = line[(firstSpace + 1)..];
        var secondSpace = afterMethod.IndexOf((byte)' ');
        if (secondSpace <= 0)
            return false;
        var targetBytes = afterMethod[..secondSpace];
        var versionBytes = afterMethod[(secondSpace + 1)..];

        if (!IsToken(methodBytes))
        {
            error = RequestRejectionReason.InvalidMethod;
            return false;
        }
        // Visible ASCII only: no spaces, controls (NUL included) or bytes over 0x7E (RFC 3986).
        foreach (var b in targetBytes)
        {
            if (b is <= 0x20 or >= 0x7f)
            {
                error = RequestRejectionReason.InvalidRequestTarget;
                return false;
            }
        }
        if (!(targetBytes[0] == (byte)'/' || targetBytes.SequenceEqual("*"u8) || StartsWithIgnoreCase(targetBytes, "http://"u8) || StartsWithIgnoreCase(targetBytes, "https://"u8)))
        {
            error = RequestRejectionReason.InvalidRequestTarget;
            return false;
        }
        // HTTP-version = "HTTP/" DIGIT "." DIGIT
        if (versionBytes.Length != 8 || !versionBytes.StartsWith("HTTP/"u8) || !char.IsAsciiDigit((char)versionBytes[5])
            || versionBytes[6] != (byte)'.' || !char.IsAsciiDigit((char)versionBytes[7]))
        {
            error = RequestRejectionReason.MalformedRequestLine;
            return false;
        }
        if (versionBytes.SequenceEqual("HTTP/1.1"u8))
            version = HttpVersion.Http11;
        else if (versionBytes.SequenceEqual("HTTP/1.0"u8))
            version = HttpVersion.Http10;
        else
        {
            error = RequestRejectionReason.UnsupportedHttpVersion;
            return false;
        }
        method = Encoding.ASCII.GetString(methodBytes);
        target = Encoding.ASCII.GetString(targetBytes);
        return true;
    }

    // field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5). No whitespace before
    // the colon (5.1) and no obs-fold continuation lines (5.2): both are rejected with 400.
    private static bool TryParseHeader(ReadOnlySpan<byte> line, out string name, out string value)
    {
        name = value = "";
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
            return false;
        var raw = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in raw)
            if (b is < 0x20 and not (byte)'\t' or 0x7f)
                return false;
        name = Encoding.ASCII.GetString(line[..colon]);
        value = Encoding.Latin1.GetString(raw);
        return true;
    }

    private static RequestRejectionReason? Validate(HttpRequestHead request)
    {
        var hosts = request.HeaderCount("Host");
        if (hosts > 1)
            return RequestRejectionReason.MultipleHosts;
        if (hosts == 0 && request.Version == HttpVersion.Http11)
            return RequestRejectionReason.MissingHost;
        if (request.Header("Transfer-Encoding") is not null)
            return RequestRejectionReason.UnsupportedTransferEncoding;
        if (request.HeaderCount("Content-Length") > 1
            || request.Header("Content-Length") is { } length && (length.Length is 0 or > 18 || !length.All(char.IsAsciiDigit)))
            return RequestRejectionReason.InvalidContentLength;
        return null;
    }

    // token = 1*tchar (RFC 9110 section 5.6.2)
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
            return false;
        foreach (var b in text)
        {
            var ok = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
                return false;
        }
        return true;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> prefix) =>
        text.Length >= prefix.Length && System.Text.Ascii.EqualsIgnoreCase(text[..prefix.Length], prefix);
}
