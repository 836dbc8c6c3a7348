using Netlab.Labs.Core;

namespace Netlab.Labs.Smtp;

/// <summary>
/// Writes one SMTP connection's control lines as <see cref="TranscriptLine"/> events, for the
/// server session and the client alike, and keeps AUTH secrets out of them (RFC 4954 section 4):
/// the initial response of "AUTH mechanism response" and every line a client sends in answer to
/// a 334 challenge become "****". It watches both directions to know when an AUTH exchange is
/// on, so the callers write lines as they are and none can forget to mask one.
/// </summary>
internal sealed class SmtpTranscript(IEventSink events, string? connection, bool labelLoginSteps = false)
{
    private enum Mode { Commands, Auth, Data }

    private Mode mode;
    private string mechanism = "";
    private int answers;

    public void Write(TranscriptDirection direction, string text, bool secure) =>
        events.Emit(new TranscriptLine(direction, TranscriptChannel.Control, Redact(direction, text), connection, secure));

    /// <summary>The line as the transcript may show it; updates what the exchange expects next.</summary>
    public string Redact(TranscriptDirection direction, string text)
    {
        if (direction == TranscriptDirection.ServerToClient)
        {
            Heard(text);
            return text;
        }
        if (direction != TranscriptDirection.ClientToServer)
            return text;
        switch (mode)
        {
            case Mode.Auth:
                answers++;
                return labelLoginSteps && mechanism == "LOGIN" ? answers == 1 ? "**** (user name)" : "**** (password)" : "****";
            case Mode.Data:
                return text; // message text (RFC 5321 section 4.1.1.4), never a command
        }
        var words = text.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !words[0].Equals("AUTH", StringComparison.OrdinalIgnoreCase))
            return text;
        mode = Mode.Auth;
        mechanism = words.Length > 1 ? words[1].ToUpperInvariant() : "";
        answers = words.Length > 2 ? 1 : 0; // an initial response counts as the first answer
        return words.Length > 2 ? $"{words[0]} {words[1]} ****" : text;
    }

    /// <summary>A reply line: 334 keeps an AUTH exchange going, 354 starts message text, any other final line ends both.</summary>
    private void Heard(string reply)
    {
        if (reply.Length > 3 && reply[3] == '-')
            return; // RFC 5321 section 4.2.1: not the last line of the reply
        mode = reply.StartsWith("334", StringComparison.Ordinal) && mode == Mode.Auth ? Mode.Auth
            : reply.StartsWith("354", StringComparison.Ordinal) ? Mode.Data
            : Mode.Commands;
    }
}
