using MimeKit;

namespace Netlab.Labs.Smtp;

/// <summary>
/// One entity of a received message's MIME tree (RFC 2045-2049): where it sits ("0" is the
/// message's body, "1.2" the second part of the first part), what it is, and its size decoded.
/// </summary>
public sealed record MailPart(string Path, int Depth, string MediaType, string? FileName, string TransferEncoding, long DecodedBytes,
    bool IsAttachment, string? ContentId)
{
    internal MimeEntity Entity { get; init; } = null!;

    public bool IsMultipart => Entity is Multipart;
}

/// <summary>
/// A received message read with MimeKit: decoded headers (RFC 2047 encoded words, charsets),
/// its first text and HTML bodies, and its MIME tree with each part's decoded content. Mail is
/// hostile input: MimeKit reads broken messages as best it can, and a message it cannot read at
/// all is kept with <see cref="ParseError"/> set (its raw bytes stay downloadable).
/// </summary>
public sealed class ReceivedMail
{
    /// <summary>Nesting beyond this is kept as a leaf (MimeKit's own guard), and the tree shows at most MaxParts entities.</summary>
    private const int MaxDepth = 16;
    private const int MaxParts = 500;

    private static readonly ParserOptions Options = CreateOptions();

    private static ParserOptions CreateOptions()
    {
        // Mail comes in koi8-r, iso-8859-2, windows-1252, shift_jis ...: .NET Core knows only the
        // Unicode ones and Latin-1 until the code-page provider is registered (idempotent).
        System.Text.Encoding.RegisterProvider(System.Text.CodePagesEncodingProvider.Instance);
        return new ParserOptions { MaxMimeDepth = MaxDepth };
    }

    private ReceivedMail(MimeMessage? message, string? parseError)
    {
        Message = message;
        ParseError = parseError;
        if (message is null)
            return;
        Headers = [.. message.Headers.Select(h => new KeyValuePair<string, string>(h.Field, h.Value))];
        Subject = message.Subject;
        HeaderFrom = message.From.ToString();
        HeaderTo = string.Join(", ", new[] { message.To.ToString(), message.Cc.ToString() }.Where(s => s.Length > 0));
        var parts = new List<MailPart>();
        if (message.Body is { } body)
            Walk(body, 0, "0", parts);
        Parts = parts;
        Text = FirstText(p => p.IsPlain);
        Html = FirstText(p => p.IsHtml);
    }

    /// <summary>The parsed message; null when MimeKit could not read it at all.</summary>
    public MimeMessage? Message { get; }

    /// <summary>Why the message could not be read (it is still listed and downloadable).</summary>
    public string? ParseError { get; }

    /// <summary>Header fields in order, values unfolded and decoded (RFC 5322 section 2.2, RFC 2047).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; } = [];

    public string? Subject { get; }

    /// <summary>The From header as written in the message (the envelope's MAIL FROM may differ).</summary>
    public string HeaderFrom { get; } = "";

    /// <summary>The To and Cc headers as written in the message.</summary>
    public string HeaderTo { get; } = "";

    /// <summary>The first text/plain body that is not an attachment, in its charset.</summary>
    public string? Text { get; }

    /// <summary>The first text/html body that is not an attachment, in its charset.</summary>
    public string? Html { get; }

    public IReadOnlyList<MailPart> Parts { get; } = [];

    public static ReceivedMail Parse(byte[] raw)
    {
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            return new ReceivedMail(MimeMessage.Load(Options, stream), null);
        }
        catch (FormatException e)
        {
            return new ReceivedMail(null, e.Message);
        }
    }

    /// <summary>Just the Subject header, for the server's log line, without parsing the body.</summary>
    /// <summary>The media types of a message's leaf parts (text/plain, image/png, ...), in order; null when it cannot be read.</summary>
    public static IReadOnlyList<string>? LeafMediaTypes(byte[] raw)
    {
        try
        {
            var parts = Parse(raw).Parts;
            return [.. parts.Where(p => !parts.Any(c => c.Path.StartsWith(p.Path + ".", StringComparison.Ordinal) || (p.Path == "0" && c.Path != "0"))).Select(p => p.MediaType)];
        }
        catch (Exception e) when (e is FormatException or ParseException or InvalidOperationException)
        {
            return null;
        }
    }

    public static string? PeekSubject(byte[] raw)
    {
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            return HeaderList.Load(Options, stream)[HeaderId.Subject];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public MailPart? Part(string path) => Parts.FirstOrDefault(p => p.Path == path);

    /// <summary>A part's content with its transfer encoding undone (RFC 2045 section 6); null for a multipart.</summary>
    public static byte[]? Content(MailPart part)
    {
        using var output = new MemoryStream();
        switch (part.Entity)
        {
            case MimePart { Content: { } content }:
                content.DecodeTo(output);
                break;
            case MimePart:
                break;
            case MessagePart { Message: { } inner }:
                inner.WriteTo(output);
                break;
            case MessagePart:
                break;
            default:
                return null;
        }
        return output.ToArray();
    }

    /// <summary>The part with this Content-ID (RFC 2392: what a "cid:" URL names), if there is one.</summary>
    public MailPart? ByContentId(string contentId)
    {
        var id = contentId.Trim().Trim('<', '>');
        return Parts.FirstOrDefault(p => p.ContentId is { } c && string.Equals(c.Trim('<', '>'), id, StringComparison.Ordinal));
    }

    /// <summary>True when the query occurs (case-insensitive) in the subject, the From/To/Cc headers or a body.</summary>
    public bool Matches(string query) =>
        new[] { Subject, HeaderFrom, HeaderTo, Text, Html }.Any(text => text?.Contains(query, StringComparison.OrdinalIgnoreCase) == true);

    private string? FirstText(Func<TextPart, bool> kind) => Parts
        .Where(p => !p.IsAttachment && p.Entity is TextPart text && kind(text))
        .Select(p => DecodeText(p))
        .FirstOrDefault();

    /// <summary>
    /// A text part in its charset, line ends as sent (TextPart.Text would turn CRLF into LF, and
    /// students compare what their client sent byte for byte). No charset, or one unknown here:
    /// UTF-8 if the bytes are valid UTF-8, else Latin-1, which maps every byte (as MimeKit does).
    /// </summary>
    private static string DecodeText(MailPart part)
    {
        var bytes = Content(part) ?? [];
        if (part.Entity.ContentType.CharsetEncoding is { } encoding)
            return encoding.GetString(bytes);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return System.Text.Encoding.Latin1.GetString(bytes);
        }
    }

    private static readonly System.Text.Encoding StrictUtf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void Walk(MimeEntity entity, int depth, string path, List<MailPart> parts)
    {
        if (parts.Count >= MaxParts)
            return;
        var mediaType = entity.ContentType.MimeType.ToLowerInvariant();
        var fileName = (entity as MimePart)?.FileName ?? entity.ContentDisposition?.FileName ?? entity.ContentType.Name;
        var disposition = entity.ContentDisposition?.Disposition.ToLowerInvariant() ?? "";
        var multipart = entity is Multipart;
        // As the portal has always counted them: anything that is not a body text or a container
        // is an attachment, and so is a named part not marked inline.
        var attachment = !multipart && (disposition == ContentDisposition.Attachment
            || (fileName is not null && disposition != ContentDisposition.Inline)
            || !(mediaType.StartsWith("text/", StringComparison.Ordinal) || mediaType == "message/rfc822"));
        var part = new MailPart(path, depth, mediaType, fileName,
            entity.Headers[HeaderId.ContentTransferEncoding]?.Trim().ToLowerInvariant() ?? "7bit",
            0, attachment, entity.ContentId) { Entity = entity };
        parts.Add(multipart ? part : part with { DecodedBytes = Content(part)?.LongLength ?? 0 });
        if (entity is not Multipart children)
            return;
        for (var i = 0; i < children.Count; i++)
            Walk(children[i], depth + 1, depth == 0 ? $"{i + 1}" : $"{path}.{i + 1}", parts);
    }
}
