using System.Net;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.UdpPing;

/// <summary>
/// The handout's UDPPingerServer: receives a datagram, drops it with the configured probability,
/// otherwise echoes the payload upper-cased to its sender (after the configured delay).
/// Any payload up to the UDP maximum; a bad datagram or a failed send never stops the loop.
/// </summary>
public sealed class UdpPingServer : UdpLabServer
{
    /// <summary>Delayed replies held at most (each holds its payload until sent).</summary>
    private const int MaxPendingReplies = 4096;

    private readonly PacketImpairment impairment;
    private readonly TimeProvider time;
    private readonly Lock pendingGate = new();
    private readonly HashSet<Task> delayedReplies = [];

    /// <param name="time">The clock of the added delay; null = the system's.</param>
    public UdpPingServer(UdpPingServerOptions options, IPEndPoint endpoint, EventStream events, TimeProvider? time = null)
        : base("udp-ping", endpoint, events)
    {
        Options = options;
        impairment = options.CreateImpairment();
        this.time = time ?? TimeProvider.System;
    }

    public UdpPingServerOptions Options { get; }

    private int PendingReplies { get { lock (pendingGate) return delayedReplies.Count; } }

    protected override string Listening(EndPoint local) => $"UDP ping server on {local}, {impairment.Describe()}"
        + (impairment.DelayMs > 0 || impairment.JitterMs > 0 ? $", delay {impairment.DelayMs} ms ± {impairment.JitterMs} ms" : "");

    protected override void OnDatagram(Span<byte> payload, SocketAddress from, string remote, CancellationToken stopping)
    {
        var length = payload.Length;
        var preview = Printable.Ascii(payload, 80);
        var (drop, delay) = impairment.Next();
        if (drop)
        {
            Events.Emit(new DatagramSeen(remote, length, DatagramAction.Dropped, preview, null));
            return;
        }

        UdpPingMessage.ToUpperAscii(payload);
        if (delay > TimeSpan.Zero && PendingReplies >= MaxPendingReplies)
        {
            // A flood against a slow link: the queue is full, so this one is lost, as a router would lose it.
            Events.Emit(new DatagramSeen(remote, length, DatagramAction.Dropped, preview, null));
            return;
        }
        if (delay > TimeSpan.Zero)
            ScheduleReply(payload.ToArray(), SocketAddressText.Copy(from), delay, stopping);
        else if (!Udp.TrySendTo(payload, from, remote, stopping))
            return;
        Events.Emit(new DatagramSeen(remote, length, DatagramAction.Echoed, preview, delay > TimeSpan.Zero ? delay.TotalMilliseconds : null));
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
            await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
            await Udp.Socket.SendToAsync(payload, SocketFlags.None, to, stoppingToken).ConfigureAwait(false);
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

    protected override async Task OnStoppedAsync()
    {
        Task[] pending;
        lock (pendingGate)
            pending = [.. delayedReplies];
        await Task.WhenAll(pending).ConfigureAwait(false);
    }
}
