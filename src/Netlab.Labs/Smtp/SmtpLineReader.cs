namespace Netlab.Labs.Smtp;

/// <summary>One line as read from the wire, without its terminator.</summary>
/// <param name="Bytes">The line's bytes (only the first maxLength when it was too long).</param>
/// <param name="BareLf">Ended with LF alone instead of CRLF (RFC 5321 section 2.3.8 forbids it).</param>
/// <param name="TooLong">Longer than allowed; the rest of it was read and thrown away.</param>
public readonly record struct SmtpLine(byte[] Bytes, bool BareLf, bool TooLong)
{
    public string Text => System.Text.Encoding.Latin1.GetString(Bytes);
}

/// <summary>
/// Reads CRLF-terminated lines from a stream (a socket or TLS over it), bounded in length.
/// Used by both sides of SMTP: the server's commands and message text, the client's replies.
/// </summary>
public sealed class SmtpLineReader(Stream stream, int bufferSize = 16 * 1024)
{
    private readonly byte[] buffer = new byte[bufferSize];
    private Stream stream = stream;
    private int start;
    private int end;

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
    }

    /// <summary>The next line, or null when the peer closed (a partial last line is lost; see <see cref="Buffered"/>).</summary>
    public async ValueTask<SmtpLine?> ReadLineAsync(int maxLength, CancellationToken cancellationToken)
    {
        if (maxLength > buffer.Length - 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"at most {buffer.Length - 2}");
        byte[]? kept = null; // the start of a line that is too long, while the rest is skipped
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
                if (kept is not null)
                    return new SmtpLine(kept, bareLf, true);
                return length > maxLength
                    ? new SmtpLine(pending[..maxLength].ToArray(), bareLf, true)
                    : new SmtpLine(pending[..length].ToArray(), bareLf, false);
            }
            if (kept is null && pending.Length > maxLength + 1)
                kept = pending[..maxLength].ToArray();
            if (kept is not null)
                start = end = 0; // skipping the rest of an over-long line
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
