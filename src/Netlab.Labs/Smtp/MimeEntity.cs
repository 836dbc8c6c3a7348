using System.Text;

namespace Netlab.Labs.Smtp;

/// <summary>
/// A message or body part read as MIME (RFC 2045-2049): headers (unfolded, RFC 2047 words
/// decoded), its content type, and either its decoded body or its parts. Pure and bounded:
/// malformed input gives a best-effort tree, never an exception.
/// </summary>
public sealed class MimeEntity
{
    private const int MaxDepth = 8;
    private const int MaxParts = 200;
    private const int MaxHeaders = 1000;

    private MimeEntity(IReadOnlyList<KeyValuePair<string, string>> headers, byte[] rawBody)
    {
        Headers = headers;
        RawBody = rawBody;
        (MediaType, Parameters) = ParseContentType(Header("Content-Type") ?? "text/plain");
        (Disposition, var dispositionParameters) = ParseContentType(Header("Content-Disposition") ?? "");
        FileName = dispositionParameters.GetValueOrDefault("filename") ?? Parameters.GetValueOrDefault("name");
        TransferEncoding = (Header("Content-Transfer-Encoding") ?? "7bit").Trim().ToLowerInvariant();
    }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The body as it was on the wire (still base64 or quoted-printable).</summary>
    public byte[] RawBody { get; }

    /// <summary>e.g. "text/plain", "multipart/mixed", lower case.</summary>
    public string MediaType { get; }

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public string Disposition { get; }

    public string? FileName { get; }

    public string TransferEncoding { get; }

    public IReadOnlyList<MimeEntity> Parts { get; private set; } = [];

    public bool IsMultipart => MediaType.StartsWith("multipart/", StringComparison.Ordinal);

    public bool IsAttachment => !IsMultipart && (Disposition == "attachment" || (FileName is not null && Disposition != "inline") || !(MediaType.StartsWith("text/", StringComparison.Ordinal) || MediaType == "message/rfc822"));

    public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>The body after undoing its transfer encoding (RFC 2045 section 6).</summary>
    public byte[] DecodedBody() => TransferEncoding switch
    {
        "base64" => DecodeBase64(RawBody),
        "quoted-printable" => DecodeQuotedPrintable(RawBody),
        _ => RawBody,
    };

    /// <summary>The body as text in its charset (UTF-8 when unknown).</summary>
    public string Text()
    {
        var charset = Parameters.GetValueOrDefault("charset");
        return CharsetEncoding(charset).GetString(DecodedBody());
    }

    /// <summary>This entity and all below it, depth first, with their depth and a path such as "1.2".</summary>
    public IEnumerable<(MimeEntity Entity, int Depth, string Path)> Walk(int depth = 0, string path = "")
    {
        yield return (this, depth, path.Length == 0 ? "0" : path);
        for (var i = 0; i < Parts.Count; i++)
            foreach (var inner in Parts[i].Walk(depth + 1, path.Length == 0 ? $"{i + 1}" : $"{path}.{i + 1}"))
                yield return inner;
    }

    /// <summary>The first text part of the given type not sent as an attachment.</summary>
    public MimeEntity? FirstText(string mediaType) => Walk().Select(w => w.Entity)
        .FirstOrDefault(e => e.MediaType == mediaType && e.Disposition != "attachment");

    public static MimeEntity Parse(byte[] raw)
    {
        var parts = 0;
        return Parse(raw, 0, ref parts);
    }

    private static MimeEntity Parse(ReadOnlySpan<byte> raw, int depth, ref int parts)
    {
        var (headers, bodyStart) = ParseHeaders(raw);
        var entity = new MimeEntity(headers, raw[bodyStart..].ToArray());
        parts++;
        if (depth >= MaxDepth)
            return entity;
        if (entity.IsMultipart && entity.Parameters.GetValueOrDefault("boundary") is { Length: > 0 and <= 70 } boundary)
        {
            var children = new List<MimeEntity>();
            foreach (var body in SplitMultipart(entity.RawBody, boundary))
            {
                if (parts >= MaxParts) break;
                children.Add(Parse(body, depth + 1, ref parts));
            }
            entity.Parts = children;
        }
        else if (entity.MediaType == "message/rfc822" && parts < MaxParts)
        {
            entity.Parts = [Parse(entity.DecodedBody(), depth + 1, ref parts)];
        }
        return entity;
    }

    /// <summary>RFC 5322 section 2.2: header fields up to the first empty line, folded lines joined.</summary>
    private static (List<KeyValuePair<string, string>> Headers, int BodyStart) ParseHeaders(ReadOnlySpan<byte> raw)
    {
        var headers = new List<KeyValuePair<string, string>>();
        var position = 0;
        string? name = null;
        var value = new StringBuilder();
        void Flush()
        {
            if (name is not null && headers.Count < MaxHeaders)
                headers.Add(new(name, DecodeEncodedWords(value.ToString().Trim())));
            name = null;
            value.Clear();
        }
        while (position < raw.Length)
        {
            var lf = raw[position..].IndexOf((byte)'\n');
            var lineEnd = lf < 0 ? raw.Length : position + lf;
            var next = lf < 0 ? raw.Length : lineEnd + 1;
            var line = raw[position..lineEnd];
            if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
            if (line.Length == 0)
            {
                position = next;
                break;
            }
            var text = Encoding.UTF8.GetString(line);
            if (text[0] is ' ' or '\t')
            {
                if (name is not null) value.Append(' ').Append(text.Trim());
            }
            else
            {
                Flush();
                var colon = text.IndexOf(':');
                if (colon <= 0)
                {
                    // Not a header: the message has no header section (or a broken one); the rest is body.
                    return (headers, position);
                }
                name = text[..colon].Trim();
                value.Append(text[(colon + 1)..]);
            }
            position = next;
        }
        Flush();
        return (headers, Math.Min(position, raw.Length));
    }

    /// <summary>RFC 2046 section 5.1.1: parts between "--boundary" lines, up to "--boundary--".</summary>
    private static List<byte[]> SplitMultipart(byte[] body, string boundary)
    {
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var result = new List<byte[]>();
        var position = 0;
        int? partStart = null;
        while (position < body.Length)
        {
            var lf = Array.IndexOf(body, (byte)'\n', position);
            var lineEnd = lf < 0 ? body.Length : lf;
            var contentEnd = lineEnd > position && body[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            var line = body.AsSpan(position, contentEnd - position);
            if (line.StartsWith(delimiter))
            {
                var after = line[delimiter.Length..];
                var closing = after.StartsWith("--"u8);
                if (closing || after.TrimEnd(" \t"u8).Length == 0)
                {
                    if (partStart is { } begin)
                    {
                        // The CRLF before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
                        var end = position;
                        if (end > begin && body[end - 1] == '\n') end--;
                        if (end > begin && body[end - 1] == '\r') end--;
                        result.Add(body[begin..end]);
                    }
                    if (closing) return result;
                    partStart = lf < 0 ? body.Length : lf + 1;
                }
            }
            position = lf < 0 ? body.Length : lf + 1;
        }
        if (partStart is { } last && last < body.Length)
            result.Add(body[last..]); // no closing delimiter: keep what came
        return result;
    }

    /// <summary>"type/subtype; name=value; name2="quoted value"" (RFC 2045 section 5.1), names lower case.</summary>
    public static (string Value, IReadOnlyDictionary<string, string> Parameters) ParseContentType(string header)
    {
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var semicolon = header.IndexOf(';');
        var value = (semicolon < 0 ? header : header[..semicolon]).Trim().ToLowerInvariant();
        var position = semicolon < 0 ? header.Length : semicolon + 1;
        while (position < header.Length)
        {
            while (position < header.Length && header[position] is ' ' or '\t' or ';') position++;
            var eq = header.IndexOf('=', position);
            if (eq < 0) break;
            var name = header[position..eq].Trim().ToLowerInvariant();
            position = eq + 1;
            string parameterValue;
            if (position < header.Length && header[position] == '"')
            {
                var text = new StringBuilder();
                position++;
                while (position < header.Length && header[position] != '"')
                {
                    if (header[position] == '\\' && position + 1 < header.Length) position++;
                    text.Append(header[position++]);
                }
                position++;
                parameterValue = text.ToString();
            }
            else
            {
                var end = header.IndexOf(';', position);
                if (end < 0) end = header.Length;
                parameterValue = header[position..end].Trim();
                position = end;
            }
            if (name.EndsWith('*') && DecodeExtendedParameter(parameterValue) is { } decoded)
            {
                // RFC 2231 section 4: name*=charset'language'percent-encoded
                name = name[..^1];
                parameterValue = decoded;
            }
            if (name.Length > 0)
                parameters.TryAdd(name, parameterValue);
        }
        return (value, parameters);
    }

    private static string? DecodeExtendedParameter(string value)
    {
        var parts = value.Split('\'', 3);
        if (parts.Length != 3) return null;
        try
        {
            return Uri.UnescapeDataString(parts[2]) is var unescaped && parts[0].Length > 0 && !parts[0].Equals("utf-8", StringComparison.OrdinalIgnoreCase)
                ? CharsetEncoding(parts[0]).GetString(Encoding.Latin1.GetBytes(unescaped))
                : unescaped;
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    /// <summary>RFC 2047 encoded words in headers: =?charset?B?base64?= and =?charset?Q?quoted?=.</summary>
    public static string DecodeEncodedWords(string value)
    {
        if (!value.Contains("=?", StringComparison.Ordinal))
            return value;
        var result = new StringBuilder();
        var position = 0;
        var lastWasWord = false;
        while (position < value.Length)
        {
            var begin = value.IndexOf("=?", position, StringComparison.Ordinal);
            if (begin < 0) { result.Append(value, position, value.Length - position); break; }
            var q1 = value.IndexOf('?', begin + 2);
            var q2 = q1 < 0 ? -1 : value.IndexOf('?', q1 + 1);
            var end = q2 < 0 ? -1 : value.IndexOf("?=", q2 + 1, StringComparison.Ordinal);
            if (end < 0) { result.Append(value, position, value.Length - position); break; }
            var between = value[position..begin];
            // Whitespace between two encoded words is not part of the text (RFC 2047 section 6.2).
            if (!(lastWasWord && string.IsNullOrWhiteSpace(between)))
                result.Append(between);
            var charset = value[(begin + 2)..q1];
            var encoding = value[(q1 + 1)..q2];
            var text = value[(q2 + 1)..end];
            byte[]? bytes = encoding.ToUpperInvariant() switch
            {
                "B" => DecodeBase64(Encoding.ASCII.GetBytes(text)),
                "Q" => DecodeQuotedPrintable(Encoding.ASCII.GetBytes(text.Replace('_', ' '))),
                _ => null,
            };
            if (bytes is null)
            {
                result.Append(value, begin, end + 2 - begin);
                lastWasWord = false;
            }
            else
            {
                result.Append(CharsetEncoding(charset).GetString(bytes));
                lastWasWord = true;
            }
            position = end + 2;
        }
        return result.ToString();
    }

    /// <summary>Base64 ignoring line breaks and anything outside the alphabet (RFC 2045 section 6.8).</summary>
    public static byte[] DecodeBase64(ReadOnlySpan<byte> encoded)
    {
        var clean = new byte[encoded.Length];
        var n = 0;
        foreach (var b in encoded)
            if (b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'+' or (byte)'/')
                clean[n++] = b;
        n -= n % 4 == 1 ? 1 : 0; // a lone trailing sextet cannot be decoded
        var padded = new byte[(n + 3) / 4 * 4];
        clean.AsSpan(0, n).CopyTo(padded);
        padded.AsSpan(n).Fill((byte)'=');
        var output = new byte[padded.Length / 4 * 3];
        return System.Buffers.Text.Base64.DecodeFromUtf8(padded, output, out _, out var written) == System.Buffers.OperationStatus.Done
            ? output[..written] : [];
    }

    /// <summary>Quoted-printable (RFC 2045 section 6.7): =XX bytes and "=" soft line breaks.</summary>
    public static byte[] DecodeQuotedPrintable(ReadOnlySpan<byte> encoded)
    {
        var output = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b != '=')
            {
                output.Add(b);
                continue;
            }
            if (i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                output.Add((byte)(HexValue(encoded[i + 1]) << 4 | HexValue(encoded[i + 2])));
                i += 2;
            }
            else if (i + 1 < encoded.Length && encoded[i + 1] == '\n')
                i += 1; // soft line break (bare LF)
            else if (i + 2 < encoded.Length && encoded[i + 1] == '\r' && encoded[i + 2] == '\n')
                i += 2; // soft line break
            else if (i == encoded.Length - 1)
            {
                // "=" at the very end: a soft break with nothing after it
            }
            else
                output.Add(b); // not an escape: keep it, as RFC 2045 suggests for robustness
        }
        return [.. output];
    }

    private static bool IsHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'A' and <= (byte)'F') or (>= (byte)'a' and <= (byte)'f');

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    private static Encoding CharsetEncoding(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset)) return Encoding.UTF8;
        try
        {
            return Encoding.GetEncoding(charset.Trim());
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8;
        }
    }
}
