using System.Net.Sockets;

namespace Netlab.Labs.Ftp;

/// <summary>One line read from a control connection, or the news that it was too long (and skipped).</summary>
public readonly record struct FtpLine(byte[] Bytes, bool TooLong);

/// <summary>
/// Reads CRLF-ended lines from a control connection (commands on the server, replies on the
/// client) with a fixed buffer: a line longer than <see cref="FtpCommandParser.MaxLine"/> is
/// reported once and skipped up to its end, so a flood of bytes without a line end costs nothing.
/// The caller bounds each read with its token; a cancelled read loses nothing already received.
/// </summary>
public sealed class FtpLineReader(Socket socket)
{
    private readonly byte[] buffer = new byte[FtpCommandParser.MaxLine + 1];
    private int filled;
    private bool skipping;

    /// <summary>The next line; null when the peer closed the connection.</summary>
    public async Task<FtpLine?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (skipping)
            {
                var lf = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
                if (lf < 0)
                {
                    filled = 0;
                }
                else
                {
                    Consume(lf + 1);
                    skipping = false;
                    continue;
                }
            }
            else
            {
                switch (FtpCommandParser.FindLine(buffer.AsSpan(0, filled), out var line, out var consumed))
                {
                    case FtpLineStatus.Line:
                        var bytes = line.ToArray();
                        Consume(consumed);
                        return new FtpLine(bytes, false);
                    case FtpLineStatus.TooLong:
                        skipping = true;
                        return new FtpLine([], true);
                }
            }
            var n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return null;
            filled += n;
        }
    }

    private void Consume(int count)
    {
        Buffer.BlockCopy(buffer, count, buffer, 0, filled - count);
        filled -= count;
    }
}
