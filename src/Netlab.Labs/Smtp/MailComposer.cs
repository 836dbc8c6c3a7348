using System.Globalization;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>What the client's message says.</summary>
public sealed record MailDraft(string From, IReadOnlyList<string> To, string Subject, string Body, UploadedFile? Attachment = null);

/// <summary>
/// Builds the message the client sends after DATA, by hand (RFC 5322 headers, RFC 2045-2049
/// MIME): plain text, or multipart/mixed with the text and an attachment in base64. Lines end
/// in CRLF; dot-stuffing is the transport's job (RFC 5321 section 4.5.2), not the message's.
/// </summary>
public static class MailComposer
{
    public static byte[] Compose(MailDraft draft, DateTimeOffset date, string messageIdDomain)
    {
        var text = new StringBuilder();
        void Header(string name, string value) => text.Append(name).Append(": ").Append(value).Append("\r\n");

        Header("Date", FormatDate(date));
        Header("From", draft.From);
        Header("To", string.Join(", ", draft.To));
        Header("Subject", EncodeHeader(draft.Subject));
        Header("Message-ID", $"<{Guid.NewGuid():N}@{messageIdDomain}>");
        Header("MIME-Version", "1.0");
        Header("X-Mailer", "Netlab SMTP lab client");
        var body = NormalizeLines(draft.Body);
        if (draft.Attachment is not { } attachment)
        {
            AppendTextPart(text, body);
            return Encoding.UTF8.GetBytes(text.ToString());
        }
        var boundary = $"=_netlab_{Guid.NewGuid():N}";
        Header("Content-Type", $"multipart/mixed; boundary=\"{boundary}\"");
        text.Append("\r\nThis is a multi-part message in MIME format.\r\n");
        text.Append("\r\n--").Append(boundary).Append("\r\n");
        AppendTextPart(text, body);
        text.Append("\r\n--").Append(boundary).Append("\r\n");
        var name = QuoteParameter(attachment.FileName);
        Header("Content-Type", $"{attachment.MediaType}; name={name}");
        Header("Content-Disposition", $"attachment; filename={name}");
        Header("Content-Transfer-Encoding", "base64");
        text.Append("\r\n");
        AppendBase64Lines(text, attachment.Content);
        text.Append("\r\n--").Append(boundary).Append("--\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>RFC 5322 section 3.3: "Sat, 21 Nov 2026 14:05:09 +0000".</summary>
    public static string FormatDate(DateTimeOffset date)
    {
        var offset = date.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return date.ToString("ddd, d MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture) + $"{sign}{abs.Hours:D2}{abs.Minutes:D2}";
    }

    /// <summary>RFC 2045 section 6.8: base64 in lines of at most 76 characters.</summary>
    public static void AppendBase64Lines(StringBuilder text, byte[] content)
    {
        var encoded = Convert.ToBase64String(content);
        for (var i = 0; i < encoded.Length; i += 76)
            text.Append(encoded, i, Math.Min(76, encoded.Length - i)).Append("\r\n");
    }

    /// <summary>A header value in ASCII as is; otherwise an RFC 2047 encoded word per chunk.</summary>
    public static string EncodeHeader(string value)
    {
        if (value.All(c => c is >= ' ' and < '\x7f'))
            return value;
        // Encoded words are at most 75 characters (RFC 2047 section 2): 45 bytes of UTF-8 each,
        // cut on character boundaries, joined by folding whitespace.
        var words = new List<string>();
        var chunk = new StringBuilder();
        foreach (var rune in value.EnumerateRunes())
        {
            if (Encoding.UTF8.GetByteCount(chunk.ToString() + rune) > 45)
            {
                words.Add(Word(chunk.ToString()));
                chunk.Clear();
            }
            chunk.Append(rune.ToString());
        }
        if (chunk.Length > 0) words.Add(Word(chunk.ToString()));
        return string.Join("\r\n ", words);

        static string Word(string s) => $"=?utf-8?B?{Convert.ToBase64String(Encoding.UTF8.GetBytes(s))}?=";
    }

    private static void AppendTextPart(StringBuilder text, string body)
    {
        if (!body.EndsWith("\r\n", StringComparison.Ordinal)) body += "\r\n";
        var ascii = body.All(c => c < '\x80') && body.Split("\r\n").All(l => l.Length <= SmtpCommand.MaxTextLine);
        text.Append("Content-Type: text/plain; charset=utf-8\r\n");
        if (ascii)
        {
            text.Append("Content-Transfer-Encoding: 7bit\r\n\r\n").Append(body);
        }
        else
        {
            // Non-ASCII text goes as base64 so it survives servers without 8BITMIME.
            text.Append("Content-Transfer-Encoding: base64\r\n\r\n");
            AppendBase64Lines(text, Encoding.UTF8.GetBytes(body));
        }
    }

    private static string QuoteParameter(string value)
    {
        var clean = new string(value.Where(c => c >= ' ' && c != '\x7f').ToArray());
        if (clean.All(c => c < '\x80'))
            return "\"" + clean.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        return EncodeHeader(clean);
    }

    /// <summary>Text from a browser or a script may end lines with LF alone; SMTP needs CRLF.</summary>
    public static string NormalizeLines(string text) => text.ReplaceLineEndings("\r\n");
}
