using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netlab.Labs.UdpPing;

namespace Netlab.Bench;

/// <summary>What one throughput run counted.</summary>
/// <param name="Replies">Replies to the ping being waited for, received before the run ended.</param>
/// <param name="Timeouts">Pings with no reply within the timeout.</param>
/// <param name="Late">Replies to pings that had already timed out.</param>
public sealed record LoadResult(long Replies, long Timeouts, long Late, TimeSpan Duration)
{
    public double RepliesPerSecond => Replies / Duration.TotalSeconds;
}

/// <summary>
/// Closed-loop load: each of N sockets sends a handout ping, waits for its echo (or the timeout),
/// then sends the next. The server's throughput is the replies per second all sockets get; with a
/// fixed number of pings in flight it is limited by how fast the server turns one around.
/// </summary>
/// <remarks>
/// One blocking thread per socket, not async I/O: the kernel wakes the waiting thread directly,
/// without the epoll thread and thread-pool hop of an async receive. Measured here, that drove
/// both servers harder with less CPU, which on a two-core machine is CPU left to the server.
/// </remarks>
public sealed class LoadGenerator(int clients, TimeSpan replyTimeout)
{
    private const int MaxDatagram = 65_527;

    public async Task<LoadResult> RunAsync(IPEndPoint server, TimeSpan duration)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, clients)
            .Select(_ => Task.Factory.StartNew(() => PingPong(server, end), TaskCreationOptions.LongRunning))
            .ToArray();
        var counts = await Task.WhenAll(workers);
        return new LoadResult(counts.Sum(c => c.Replies), counts.Sum(c => c.Timeouts), counts.Sum(c => c.Late), duration);
    }

    private readonly record struct SocketCounts(long Replies, long Timeouts, long Late);

    private SocketCounts PingPong(IPEndPoint server, long end)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Connected, as the probe is: only the server's datagrams are received.
        socket.Connect(server);
        socket.ReceiveTimeout = (int)replyTimeout.TotalMilliseconds;
        var buffer = new byte[MaxDatagram];
        long replies = 0, timeouts = 0, late = 0;
        for (var sequence = 1; Stopwatch.GetTimestamp() < end; sequence++)
        {
            socket.Send(UdpPingMessage.Format(sequence, DateTimeOffset.UtcNow), SocketFlags.None);
            try
            {
                // The echo is upper-cased; anything but this ping's echo is a late one. The timeout
                // restarts with each late reply, which only matters if replies are very late.
                while (true)
                {
                    var length = socket.Receive(buffer, SocketFlags.None);
                    if (UdpPingMessage.TryParse(buffer.AsSpan(0, length), out var reply) && reply.Sequence == sequence)
                        break;
                    late++;
                }
                // A reply after the end would stretch the run past its duration: not counted.
                if (Stopwatch.GetTimestamp() <= end)
                    replies++;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                timeouts++;
            }
        }
        return new SocketCounts(replies, timeouts, late);
    }
}
