using System.Buffers;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.Ftp;

/// <summary>The data connection stalled: no byte moved within the data timeout.</summary>
public sealed class FtpDataTimeoutException(int timeoutMs) : TimeoutException($"no data moved for {timeoutMs} ms");

/// <summary>The bytes of a data connection so far, readable while it runs and after it failed.</summary>
public sealed class FtpByteCount
{
    private long bytes;
    public long Bytes => Interlocked.Read(ref bytes);
    internal void Add(int n) => Interlocked.Add(ref bytes, n);
}

/// <summary>
/// Moves a stream's bytes over a data connection, both ways, in fixed 256 KB pieces (a file of
/// any size costs one buffer, never its size in memory), each send or receive bounded by the
/// data timeout: a stalled peer ends the transfer, a slow one that keeps moving does not.
/// Used by the server (RETR, STOR, LIST) and by the client (get, put, ls) alike.
/// </summary>
public static class FtpDataStreams
{
    private const int Chunk = 256 * 1024;

    /// <summary>Sends everything from source, then ends the sending side (end of file in stream mode, RFC 959 section 3.4.1).</summary>
    public static async Task SendAsync(Socket data, Stream source, int timeoutMs, FtpByteCount count, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            // The limit runs for each send only, not while the source is read.
            using var stall = Deadline.After(Timeout.InfiniteTimeSpan, cancellationToken, time);
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, Chunk), cancellationToken).ConfigureAwait(false)) > 0)
            {
                stall.Restart(timeoutMs);
                await Guard(data.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stall.Token), stall, timeoutMs).ConfigureAwait(false);
                count.Add(n);
            }
            data.Shutdown(SocketShutdown.Send);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Receives until the peer closes, writing to destination; more than limit bytes makes
    /// <see cref="FtpLimitException"/>.
    /// </summary>
    public static async Task ReceiveAsync(Socket data, Stream destination, long limit, int timeoutMs, FtpByteCount count, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            using var stall = Deadline.After(timeoutMs, cancellationToken, time);
            while (true)
            {
                stall.Restart(timeoutMs);
                var n = await Guard(data.ReceiveAsync(buffer.AsMemory(0, Chunk), SocketFlags.None, stall.Token), stall, timeoutMs).ConfigureAwait(false);
                if (n == 0)
                    return;
                if (count.Bytes + n > limit)
                    throw new FtpLimitException(limit);
                await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                count.Add(n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Tells a stall (the timeout fired) apart from the caller's cancellation.</summary>
    private static async ValueTask<T> Guard<T>(ValueTask<T> operation, Deadline stall, int timeoutMs)
    {
        try
        {
            return await operation.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stall.Expired)
        {
            throw new FtpDataTimeoutException(timeoutMs);
        }
    }
}

/// <summary>An upload grew past the server's limit.</summary>
public sealed class FtpLimitException(long limit) : Exception($"more than {limit} bytes");
