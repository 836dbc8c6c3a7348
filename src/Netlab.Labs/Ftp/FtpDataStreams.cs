using System.Buffers;
using System.Net.Sockets;

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
    public static async Task SendAsync(Socket data, Stream source, int timeoutMs, FtpByteCount count, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, Chunk), cancellationToken).ConfigureAwait(false)) > 0)
            {
                stall.CancelAfter(timeoutMs);
                await Guard(data.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, stall.Token), timeoutMs, cancellationToken).ConfigureAwait(false);
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
    public static async Task ReceiveAsync(Socket data, Stream destination, long limit, int timeoutMs, FtpByteCount count, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            while (true)
            {
                stall.CancelAfter(timeoutMs);
                var n = await Guard(data.ReceiveAsync(buffer.AsMemory(0, Chunk), SocketFlags.None, stall.Token), timeoutMs, cancellationToken).ConfigureAwait(false);
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
    private static async ValueTask<T> Guard<T>(ValueTask<T> operation, int timeoutMs, CancellationToken cancellationToken)
    {
        try
        {
            return await operation.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FtpDataTimeoutException(timeoutMs);
        }
    }
}

/// <summary>An upload grew past the server's limit.</summary>
public sealed class FtpLimitException(long limit) : Exception($"more than {limit} bytes");
