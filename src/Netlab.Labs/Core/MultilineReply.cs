using System.Globalization;

namespace Netlab.Labs.Core;

/// <summary>
/// How a text protocol writes its replies, and the bounds a reader holds a server to. Both SMTP
/// and FTP send a three-digit code and text; they differ in the middle lines of a multi-line reply.
/// </summary>
public sealed record ReplyGrammar
{
    /// <summary>For messages: "SMTP", "FTP".</summary>
    public required string Protocol { get; init; }

    /// <summary>Where the grammar is written down, for messages: "RFC 5321 section 4.2".</summary>
    public required string Reference { get; init; }

    /// <summary>
    /// True: every line carries the code, "250-" until "250 " (RFC 5321 section 4.2.1). False: "123-"
    /// first, then any text, until a line that starts "123 " (RFC 959 section 4.2).
    /// </summary>
    public required bool CodeOnEveryLine { get; init; }

    public int LowestCode { get; init; } = 100;
    public int HighestCode { get; init; } = 999;
    public int MaxLineBytes { get; init; } = 4096;
    public int MaxLines { get; init; } = 100;
    public int MaxBytes { get; init; } = 64 * 1024;
}

/// <summary>Why a reply could not be read (each a protocol error: the exchange cannot go on).</summary>
public enum ReplyError { Closed, ClosedMidReply, NotAReply, CodeChanged, LineTooLong, TooManyLines, TooLarge }

/// <summary>A reply that breaks its protocol's grammar or bounds, with the reason and the line at fault.</summary>
public sealed class ReplyFormatException(ReplyError reason, string message) : LabException(message)
{
    public ReplyError Reason { get; } = reason;
}

/// <summary>A reply's code and the text of each of its lines (without code and separator).</summary>
public sealed record MultilineReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>
    /// Reads one line with a code: "250-more follows", "250 last line" or a bare "250". False when
    /// the line is not one (another protocol, a code out of the grammar's range).
    /// </summary>
    public static bool TryParseLine(string line, ReplyGrammar grammar, out int code, out bool more, out string text)
    {
        code = 0;
        more = false;
        text = "";
        if (line.Length < 3 || !char.IsAsciiDigit(line[0]) || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2]))
            return false;
        if (line.Length > 3 && line[3] is not (' ' or '-'))
            return false;
        var value = int.Parse(line.AsSpan(0, 3), CultureInfo.InvariantCulture);
        if (value < grammar.LowestCode || value > grammar.HighestCode)
            return false;
        code = value;
        more = line.Length > 3 && line[3] == '-';
        text = line.Length > 4 ? line[4..] : "";
        return true;
    }

    /// <summary>
    /// Reads lines from <paramref name="reader"/> until the reply's last line, each passed to
    /// <paramref name="onLine"/> as it arrives (for the transcript, even when it breaks the grammar).
    /// Bounded in line length, lines and bytes; the caller bounds the time with the token.
    /// </summary>
    public static async Task<MultilineReply> ReadAsync(LineReader reader, ReplyGrammar grammar, Action<string>? onLine, CancellationToken cancellationToken)
    {
        var parser = new MultilineReplyParser(grammar);
        while (true)
        {
            // A line past the limit ends the reply at once: a line without an end is not read until the time runs out.
            var line = await reader.ReadLineAsync(grammar.MaxLineBytes, cancellationToken, stopAtLimit: true).ConfigureAwait(false)
                ?? throw parser.Closed();
            var text = System.Text.Encoding.UTF8.GetString(line.Bytes);
            onLine?.Invoke(text);
            if (line.TooLong)
                throw new ReplyFormatException(ReplyError.LineTooLong, $"The server sent a reply line longer than {grammar.MaxLineBytes} bytes.");
            if (parser.Add(text) is { } reply)
                return reply;
        }
    }
}

/// <summary>
/// Collects reply lines into one reply (pure: lines in, a reply out, no socket). <see cref="Add"/>
/// returns null until the last line; a line that breaks the grammar throws <see cref="ReplyFormatException"/>.
/// </summary>
public sealed class MultilineReplyParser(ReplyGrammar grammar)
{
    private readonly List<string> lines = [];
    private int code = -1;
    private int bytes;

    public MultilineReply? Add(string line)
    {
        bytes += line.Length + 2;
        if (bytes > grammar.MaxBytes)
            throw new ReplyFormatException(ReplyError.TooLarge, $"The server sent a reply of over {grammar.MaxBytes} bytes.");
        var coded = TryParseLine(line, out var lineCode, out var more, out var text);
        if (code < 0)
        {
            if (!coded)
                throw new ReplyFormatException(ReplyError.NotAReply,
                    $"The server's answer is not an {grammar.Protocol} reply ({grammar.Reference}: a 3-digit code first): \"{Show(line)}\".");
            code = lineCode;
        }
        else if (grammar.CodeOnEveryLine && !coded)
        {
            throw new ReplyFormatException(ReplyError.NotAReply,
                $"A line of a multi-line reply has no code ({grammar.Reference}: every line starts with it): \"{Show(line)}\".");
        }
        else if (grammar.CodeOnEveryLine && lineCode != code)
        {
            throw new ReplyFormatException(ReplyError.CodeChanged,
                $"A multi-line reply changed its code from {code} to {lineCode} ({grammar.Reference} requires the same code on every line).");
        }
        else if (!grammar.CodeOnEveryLine && !(coded && !more && lineCode == code))
        {
            // RFC 959 section 4.2: a middle line is text; one that starts with a digit is indented by a space.
            text = line.StartsWith(' ') ? line[1..] : line;
            more = true;
        }
        lines.Add(text);
        if (!more)
            return new MultilineReply(code, [.. lines]);
        if (lines.Count >= grammar.MaxLines)
            throw new ReplyFormatException(ReplyError.TooManyLines, $"The server sent a multi-line reply of over {grammar.MaxLines} lines that does not end.");
        return null;
    }

    /// <summary>What to throw when the connection closed before the reply's last line.</summary>
    public ReplyFormatException Closed() => lines.Count == 0
        ? new ReplyFormatException(ReplyError.Closed, "The server closed the connection instead of replying.")
        : new ReplyFormatException(ReplyError.ClosedMidReply, "The server closed the connection in the middle of a reply.");

    private static string Show(string line) => Printable.Ascii(System.Text.Encoding.UTF8.GetBytes(line), 80);

    private bool TryParseLine(string line, out int lineCode, out bool more, out string text) =>
        MultilineReply.TryParseLine(line, grammar, out lineCode, out more, out text);
}
