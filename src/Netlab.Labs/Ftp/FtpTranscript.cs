using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>
/// Writes one FTP connection's lines as <see cref="TranscriptLine"/> events, for the server
/// session and the client alike, and masks the password of PASS (RFC 959 section 4.1.1) in every
/// line the client sends, so the callers write lines as they are and none can forget to.
/// </summary>
internal sealed class FtpTranscript(IEventSink events, string connection)
{
    public void Write(TranscriptDirection direction, string text, TranscriptChannel channel = TranscriptChannel.Control) =>
        events.Emit(new TranscriptLine(direction, channel, direction == TranscriptDirection.ClientToServer ? Redact(text) : text, connection));

    /// <summary>
    /// Every data connection becomes an <see cref="FtpTransfer"/> event and a line of the data
    /// transcript; <paramref name="direction"/> is download, upload or listing, seen from the client.
    /// </summary>
    public void Transfer(FtpDataMode mode, FtpTransferDirection direction, string path, double ms, long bytes, bool completed, string? error, bool clientSide = false)
    {
        events.Emit(new FtpTransfer(connection, mode, direction, path, bytes, ms, ms > 0 ? bytes / (ms / 1000) : 0, completed, error));
        var moved = (direction == FtpTransferDirection.Upload) != clientSide ? "received" : "sent";
        Write(TranscriptDirection.Info, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{bytes} bytes {moved} in {ms:F1} ms{(error is null ? "" : $" ({error})")}"), TranscriptChannel.Data);
    }

    /// <summary>"PASS secret" (any case, after any Telnet bytes a client put first) becomes "PASS ****".</summary>
    public static string Redact(string line)
    {
        var start = 0;
        while (start < line.Length && !char.IsAsciiLetter(line[start]))
            start++;
        var verb = line.AsSpan(start);
        return verb.StartsWith("PASS", StringComparison.OrdinalIgnoreCase) && (verb.Length == 4 || verb[4] == ' ') ? "PASS ****" : line;
    }
}
