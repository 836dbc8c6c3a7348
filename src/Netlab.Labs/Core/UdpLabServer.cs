using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Core;

/// <summary>
/// The datagram side of a lab server (UDP ping, heartbeat, DNS over UDP): a UDP socket bound with
/// room for bursts, and a blocking receive loop on a thread of its own that hands each datagram
/// to a handler. One rule for errors: a per-datagram error (an ICMP error reported on the socket,
/// an oversized datagram) is logged and the loop goes on; so is a handler's exception (one bad
/// datagram never stops the server); an error once the server is stopping ends the loop quietly;
/// any other socket error ends it with that exception, which the <see cref="LabServer"/>
/// lifecycle turns into Faulted with the reason.
/// </summary>
/// <remarks>
/// A blocking receive costs less per packet than async receive and send (no completion hop per
/// datagram), like the handouts' own loops; closing the socket (<see cref="Close"/>) unblocks it.
/// </remarks>
public sealed class UdpReceiveLoop(IEventSink events, UdpReceiveLoop.Handler handler)
{
    /// <summary>Largest UDP payload over IPv6 (65535 - 8); IPv4's is smaller, so this holds any datagram.</summary>
    public const int MaxDatagram = 65_527;

    /// <summary>Room for bursts: a benchmark client or a class of students sending at once.</summary>
    private const int ReceiveBufferBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Handles one datagram on the receive thread. <paramref name="datagram"/> and
    /// <paramref name="from"/> are reused for the next datagram: copy what outlives the call.
    /// </summary>
    public delegate void Handler(Span<byte> datagram, SocketAddress from, string remote, CancellationToken stopping);

    private Socket? socket;

    /// <summary>The bound socket, for replies.</summary>
    public Socket Socket => socket ?? throw new InvalidOperationException("The UDP socket is not bound yet.");

    /// <summary>Binds the socket; throws (and keeps nothing) when the address is taken.</summary>
    public IPEndPoint Bind(IPEndPoint requested)
    {
        var s = SocketClosing.Open(requested.AddressFamily, SocketType.Dgram, ProtocolType.Udp, s =>
        {
            s.ReceiveBufferSize = ReceiveBufferBytes;
            s.Bind(requested);
        });
        socket = s;
        return (IPEndPoint)s.LocalEndPoint!;
    }

    /// <summary>Receives until the socket is closed; completes when the loop ends, faulted on a real socket error.</summary>
    public Task RunAsync(string threadName, CancellationToken stopping)
    {
        var s = Socket;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Receive(s, stopping);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = threadName };
        thread.Start();
        return done.Task;
    }

    private void Receive(Socket s, CancellationToken stopping)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(MaxDatagram);
        var from = new SocketAddress(s.AddressFamily);
        var names = new SocketAddressText();
        while (!stopping.IsCancellationRequested)
        {
            int length;
            try
            {
                length = s.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (!stopping.IsCancellationRequested && IsPerDatagramError(e))
            {
                events.Emit(new LogLine(LogSeverity.Warning, $"receive: {e.Message}"));
                continue;
            }
            var remote = names.Of(from);
            try
            {
                handler(buffer.AsSpan(0, length), from, remote, stopping);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // A bug met by one datagram must not stop the server: log it and serve the next.
                events.Emit(new LogLine(LogSeverity.Error, $"datagram from {remote}: {e.GetType().Name}: {e.Message}"));
            }
        }
    }

    /// <summary>
    /// Sends a reply from the bound socket; false (and a warning logged) when this one datagram
    /// could not be sent, e.g. the peer is unreachable. Errors while stopping are thrown.
    /// </summary>
    public bool TrySendTo(ReadOnlySpan<byte> payload, SocketAddress to, string remote, CancellationToken stopping)
    {
        try
        {
            Socket.SendTo(payload, SocketFlags.None, to);
            return true;
        }
        catch (SocketException e) when (!stopping.IsCancellationRequested)
        {
            events.Emit(new LogLine(LogSeverity.Warning, $"send to {remote}: {e.Message}"));
            return false;
        }
    }

    /// <summary>Closes the socket, which ends a blocked receive.</summary>
    public void Close() => socket?.Dispose();

    /// <summary>
    /// Errors about one datagram or one peer, not the socket: an ICMP error from an earlier send
    /// (port or host unreachable, reported on the next receive) or a datagram larger than the buffer.
    /// </summary>
    public static bool IsPerDatagramError(SocketException e) => e.SocketErrorCode is
        SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize
        or SocketError.HostUnreachable or SocketError.NetworkUnreachable;
}

/// <summary>
/// Base of the UDP lab servers: binds (with a generous receive buffer), runs the
/// <see cref="UdpReceiveLoop"/> and hands each datagram to <see cref="OnDatagram"/>. A fault of
/// the socket itself turns the server Faulted through the <see cref="LabServer"/> lifecycle.
/// </summary>
public abstract class UdpLabServer : LabServer
{
    protected UdpLabServer(string lab, IPEndPoint endpoint, EventStream events) : base(lab, endpoint, events) =>
        Udp = new UdpReceiveLoop(events, OnDatagram);

    /// <summary>The socket and its loop, for replies (<see cref="UdpReceiveLoop.TrySendTo"/>).</summary>
    protected UdpReceiveLoop Udp { get; }

    /// <summary>The log line that says the server is up, on which endpoint, doing what.</summary>
    protected abstract string Listening(EndPoint local);

    /// <inheritdoc cref="UdpReceiveLoop.Handler"/>
    protected abstract void OnDatagram(Span<byte> datagram, SocketAddress from, string remote, CancellationToken stopping);

    protected sealed override IPEndPoint Bind(IPEndPoint requested)
    {
        var local = Udp.Bind(requested);
        Events.Emit(new LogLine(LogSeverity.Info, Listening(local)));
        return local;
    }

    /// <summary>Runs the receive loop; a subclass with more to do (a timer) runs it alongside with <see cref="LabServer.ServeAllAsync"/>.</summary>
    protected override Task ServeAsync(CancellationToken stoppingToken) => Udp.RunAsync($"{Lab} {LocalEndPoint}", stoppingToken);

    protected sealed override void CloseListener() => Udp.Close();
}
