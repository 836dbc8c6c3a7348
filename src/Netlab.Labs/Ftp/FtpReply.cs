using System.Globalization;
using System.Text;

namespace Netlab.Labs.Ftp;

/// <summary>
/// A server's reply: a three-digit code and one or more lines of text (RFC 959 section 4.2).
/// The first digit says how it went: 1 preliminary, 2 done, 3 more needed, 4 try again, 5 failed.
/// </summary>
public sealed record FtpReply(int Code, IReadOnlyList<string> Lines)
{
    public FtpReply(int code, string text) : this(code, text.Split('\n')) { }

    /// <summary>The text of the first line (the "description" the handout's client prints).</summary>
    public string Message => Lines.Count > 0 ? Lines[0] : "";

    public bool IsPreliminary => Code is >= 100 and < 200;
    public bool IsSuccess => Code is >= 200 and < 300;
    public bool IsIntermediate => Code is >= 300 and < 400;
    public bool IsFailure => Code >= 400;

    /// <summary>"550 No such file or directory." (the first line, as a client shows an error).</summary>
    public override string ToString() => $"{Code} {Message}";

    /// <summary>
    /// The reply on the wire. One line is "code text"; more are "code-first", the middle lines
    /// (indented by a space when one starts with a digit, so it cannot be taken for the end),
    /// and "code last" (RFC 959 section 4.2).
    /// </summary>
    public string Format()
    {
        var code = Code.ToString("000", CultureInfo.InvariantCulture);
        if (Lines.Count <= 1)
            return $"{code} {Message}\r\n";
        var text = new StringBuilder();
        text.Append(code).Append('-').Append(Lines[0]).Append("\r\n");
        for (var i = 1; i < Lines.Count - 1; i++)
        {
            if (Lines[i].Length > 0 && char.IsAsciiDigit(Lines[i][0]))
                text.Append(' ');
            text.Append(Lines[i]).Append("\r\n");
        }
        text.Append(code).Append(' ').Append(Lines[^1]).Append("\r\n");
        return text.ToString();
    }

    /// <summary>The lines as they go on the wire, without their CRLF (for transcripts).</summary>
    public IEnumerable<string> WireLines() => Format().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// The client's side of RFC 959 section 4.2: collects reply lines into replies. A reply is one
/// line "123 text", or "123-text" followed by any lines up to one that starts "123 ".
/// Lines that break the form make <see cref="FtpProtocolException"/>.
/// </summary>
public sealed class FtpReplyParser
{
    private readonly List<string> lines = [];
    private int code = -1;

    /// <summary>Adds one line (without CRLF); returns the reply once it is complete, else null.</summary>
    public FtpReply? Add(string line)
    {
        if (code < 0)
        {
            if (line.Length < 3 || !TryCode(line, out var first) || (line.Length > 3 && line[3] is not (' ' or '-')))
                throw new FtpProtocolException($"not an FTP reply: \"{Clip(line)}\"");
            if (line.Length == 3 || line[3] == ' ')
                return new FtpReply(first, [line.Length > 4 ? line[4..] : ""]);
            code = first;
            lines.Add(line[4..]);
            return null;
        }
        if (line.Length >= 4 && line[3] == ' ' && TryCode(line, out var last) && last == code)
        {
            lines.Add(line[4..]);
            var reply = new FtpReply(code, [.. lines]);
            lines.Clear();
            code = -1;
            return reply;
        }
        if (line.Length == 3 && TryCode(line, out var bare) && bare == code)
        {
            lines.Add("");
            var reply = new FtpReply(code, [.. lines]);
            lines.Clear();
            code = -1;
            return reply;
        }
        if (lines.Count >= 10_000)
            throw new FtpProtocolException("a multi-line reply that does not end");
        lines.Add(line.StartsWith(' ') ? line[1..] : line);
        return null;
    }

    private static bool TryCode(string line, out int value)
    {
        value = 0;
        for (var i = 0; i < 3; i++)
        {
            if (!char.IsAsciiDigit(line[i]))
                return false;
            value = value * 10 + (line[i] - '0');
        }
        return value >= 100;
    }

    internal static string Clip(string text) => text.Length <= 100 ? text : text[..100] + "…";
}

/// <summary>The peer broke the protocol (garbage for a reply, closed mid-reply): the exchange is over.</summary>
public sealed class FtpProtocolException(string message) : Core.LabException(message);
