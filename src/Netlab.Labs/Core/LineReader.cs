namespace Netlab.Labs.Core;

/// <summary>One line as read from the wire, without its terminator.</summary>
/// <param name="Bytes">The line's bytes (only the first maxLength when it was too long).</param>
/// <param name="BareLf">Ended with LF alone instead of CRLF (SMTP and FTP lines end in CRLF).</param>
/// <param name="TooLong">Longer than allowed; the rest of it was read and thrown away.</param>
public readonly record struct WireLine(byte[] Bytes, bool BareLf, bool TooLong)
{
    public string Text => System.Text.Encoding.Latin1.GetString(Bytes);
}

/// <summary>
/// Reads LF-terminated lines (CRLF, or a bare LF, which is flagged) from a stream: a socket or TLS
/// over it. Bounded: a line longer than asked for is cut, the rest of it skipped up to its end,
/// so a flood without a line end costs no memory. The caller bounds each read with its token; a
/// cancelled read loses nothing already received (FTP reads the control connection during a
/// transfer and cancels that read when the transfer ends). One read at a time.
/// Used by the text protocols' servers and clients: SMTP commands, message text and replies, FTP
/// commands and replies.
/// </summary>
public sealed class LineReader(Stream stream, int bufferSize = 16 * 1024)
{
    private readonly byte[] buffer = new byte[bufferSize];
    private Stream stream = stream;
    private int start;
    private int end;
    private byte[]? skipping; // the start of a line that is too long, while the rest is skipped

    /// <summary>Bytes received but not yet read as lines (e.g. commands pipelined after STARTTLS).</summary>
    public int Buffered => end - start;

    /// <summary>
    /// Continues on another stream (TLS after STARTTLS) and throws away what was buffered from
    /// the old one: RFC 3207 section 4.2 forbids acting on plaintext sent before the handshake.
    /// </summary>
    public void Switch(Stream next)
    {
        stream = next;
        start = end = 0;
        skipping = null;
    }

    /// <summary>
    /// What was received of a line that has not ended yet, taken as a whole line (flagged bare-LF:
    /// it had no CRLF). For peers that send a command in one send() without a line end, as
    /// handout 004's client does; the caller decides when the peer has stopped sending. Null when
    /// nothing is buffered.
    /// </summary>
    public WireLine? TakeUnterminated(int maxLength)
    {
        if (end == start && skipping is null)
            return null;
        var pending = buffer.AsSpan(start, end - start);
        var line = skipping is { } kept ? new WireLine(kept, true, true)
            : pending.Length > maxLength ? new WireLine(pending[..maxLength].ToArray(), true, true)
            : new WireLine(pending.ToArray(), true, false);
        start = end = 0;
        skipping = null;
        return line;
    }

    /// <summary>The next line, or null when the peer closed (a partial last line is lost).</summary>
    /// <param name="stopAtLimit">
    /// True: a line that grows past maxLength comes back at once, flagged TooLong, and the rest of
    /// it is never read (for a reader that gives up on such a peer: a line without an end would
    /// otherwise be skipped until the time runs out). False: the rest is read and thrown away up
    /// to its end, and reading can go on after it.
    /// </param>
    public async Task<WireLine?> ReadLineAsync(int maxLength, CancellationToken cancellationToken, bool stopAtLimit = false)
    {
        if (maxLength > buffer.Length - 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"at most {buffer.Length - 2}");
        while (true)
        {
            var pending = buffer.AsSpan(start, end - start);
            var lf = pending.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var length = lf;
                var bareLf = length == 0 || pending[length - 1] != '\r';
                if (!bareLf) length--;
                start += lf + 1;
                if (skipping is { } kept)
                {
                    skipping = null;
                    return new WireLine(kept, bareLf, true);
                }
                return length > maxLength
                    ? new WireLine(pending[..maxLength].ToArray(), bareLf, true)
                    : new WireLine(pending[..length].ToArray(), bareLf, false);
            }
            if (skipping is null && pending.Length > maxLength + 1)
            {
                skipping = pending[..maxLength].ToArray();
                if (stopAtLimit)
                {
                    var cut = skipping;
                    start = end = 0;
                    return new WireLine(cut, true, true);
                }
            }
            if (skipping is not null)
                start = end = 0;
            else if (start > 0)
            {
                pending.CopyTo(buffer);
                end = pending.Length;
                start = 0;
            }
            var n = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return null;
            end += n;
        }
    }
}
