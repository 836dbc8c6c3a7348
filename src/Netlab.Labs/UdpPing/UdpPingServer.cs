using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

/// <summary>
/// The handout's UDPPingerServer: receives a datagram, drops it with the configured probability,
/// otherwise echoes the payload upper-cased to its sender (after the configured delay).
/// Any payload up to the UDP maximum; a bad datagram or a failed send never stops the loop.
/// </summary>
public sealed class UdpPingServer : LabServer
{
    // Largest UDP payload over IPv6 (65535 - 8); IPv4's is smaller, so this holds any datagram.
    private const int MaxDatagram = 65_527;

    private readonly PacketImpairment impairment;
    private readonly Lock pendingGate = new();
    private readonly HashSet<Task> delayedReplies = [];
    private readonly SocketAddressText remotes = new();
    private Socket? socket;

    /// <summary>Delayed replies held at most (each holds its payload until sent).</summary>
    private const int MaxPendingReplies = 4096;

    private int PendingReplies { get { lock (pendingGate) return delayedReplies.Count; } }

    public UdpPingServer(UdpPingServerOptions options, IPEndPoint endpoint, EventStream events)
        : base("udp-ping", endpoint, events)
    {
        Options = options;
        impairment = options.CreateImpairment();
    }

    public UdpPingServerOptions Options { get; }

    protected override IPEndPoint Bind(IPEndPoint requested)
    {
        var s = new Socket(requested.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Room for bursts: a benchmark client or a class of students pinging at once.
            s.ReceiveBufferSize = 4 * 1024 * 1024;
            s.Bind(requested);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        socket = s;
        Events.Emit(new LogLine(LogSeverity.Info, $"UDP ping server on {s.LocalEndPoint}, {impairment.Describe()}"
            + (impairment.DelayMs > 0 || impairment.JitterMs > 0 ? $", delay {impairment.DelayMs} ms ± {impairment.JitterMs} ms" : "")));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    protected override Task ServeAsync(CancellationToken stoppingToken) =>
        RunOnThread($"udp-ping {LocalEndPoint}", () => Serve(stoppingToken));

    private void Serve(CancellationToken stoppingToken)
    {
        var s = socket!;
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        var from = new SocketAddress(s.AddressFamily);
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            try
            {
                length = s.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && IsPerDatagramError(e))
            {
                Events.Emit(new LogLine(LogSeverity.Warning, $"receive: {e.Message}"));
                continue;
            }

            var payload = buffer.AsSpan(0, length);
            var remote = remotes.Of(from);
            var preview = Printable.Ascii(payload, 80);
            var (drop, delay) = impairment.Next();
            if (drop)
            {
                Events.Emit(new DatagramSeen(remote, length, DatagramAction.Dropped, preview, null));
                continue;
            }

            UdpPingMessage.ToUpperAscii(payload);
            if (delay > TimeSpan.Zero && PendingReplies >= MaxPendingReplies)
            {
                // A flood against a slow link: the queue is full, so this one is lost, as a router would lose it.
                Events.Emit(new DatagramSeen(remote, length, DatagramAction.Dropped, preview, null));
                continue;
            }
            if (delay > TimeSpan.Zero)
            {
                ScheduleReply(payload.ToArray(), SocketAddressText.Copy(from), delay, stoppingToken);
            }
            else
            {
                try
                {
                    s.SendTo(payload, SocketFlags.None, from);
                }
                catch (SocketException e) when (!stoppingToken.IsCancellationRequested)
                {
                    Events.Emit(new LogLine(LogSeverity.Warning, $"send to {remote}: {e.Message}"));
                    continue;
                }
            }
            Events.Emit(new DatagramSeen(remote, length, DatagramAction.Echoed, preview, delay > TimeSpan.Zero ? delay.TotalMilliseconds : null));
        }
    }

    private void ScheduleReply(byte[] payload, SocketAddress to, TimeSpan delay, CancellationToken stoppingToken)
    {
        var task = SendLaterAsync(payload, to, delay, stoppingToken);
        lock (pendingGate)
            delayedReplies.Add(task);
        task.ContinueWith(t => { lock (pendingGate) delayedReplies.Remove(t); }, TaskScheduler.Default);
    }

    private async Task SendLaterAsync(byte[] payload, SocketAddress to, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            await socket!.SendToAsync(payload, SocketFlags.None, to, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stoppingToken.IsCancellationRequested)
        {
            // Stopped before the delay ran out: the reply is lost, as it would be on a real network.
        }
        catch (SocketException e)
        {
            Events.Emit(new LogLine(LogSeverity.Warning, $"delayed send: {e.Message}"));
        }
    }

    protected override void CloseListener() => socket?.Dispose();

    protected override async Task OnStoppedAsync()
    {
        Task[] pending;
        lock (pendingGate)
            pending = [.. delayedReplies];
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    // Errors about one datagram or one peer (ICMP errors reported on the socket, oversize),
    // not about the socket itself.
    private static bool IsPerDatagramError(SocketException e) => e.SocketErrorCode is
        SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize
        or SocketError.HostUnreachable or SocketError.NetworkUnreachable;

}
