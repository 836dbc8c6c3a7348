using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Core;

/// <summary>
/// The accept-and-sessions machinery every TCP lab server shares (web, SMTP, FTP, DNS over TCP):
/// listen, accept, serve each connection concurrently in its own session, refuse connections
/// beyond the limit, contain a failing session, and close every session on stop. It is apart
/// from the <see cref="LabServer"/> lifecycle so that a server with two transports on one port
/// (DNS: UDP and TCP) stays one LabServer; <see cref="TcpLabServer"/> is the usual wrapper.
/// </summary>
public sealed class TcpSessionHost
{
    private static readonly TimeSpan RefuseTimeout = TimeSpan.FromSeconds(5);
    /// <summary>Pause after running out of file descriptors, so the accept loop does not spin while sessions free some.</summary>
    private static readonly TimeSpan ExhaustedBackoff = TimeSpan.FromMilliseconds(10);

    /// <summary>Serves (or refuses) one connection; the session owns the socket.</summary>
    public delegate Task SessionHandler(Socket client, string name, CancellationToken cancellationToken);

    private readonly IEventSink events;
    private readonly SessionHandler serve;
    private readonly SessionHandler? refuse;
    private readonly Func<int> maxSessions;
    private readonly Func<int> maxPerAddress;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly Dictionary<Socket, Task> sessions = [];
    /// <summary>Sessions open now per client address (IPv4-mapped IPv6 as IPv4), under <see cref="gate"/>.</summary>
    private readonly Dictionary<IPAddress, int> perAddress = [];
    private Socket? listener;

    /// <param name="events">Where session faults are logged.</param>
    /// <param name="serve">Serves one connection until it ends.</param>
    /// <param name="maxSessions">Sessions served at once (read at each accept: options may say).</param>
    /// <param name="refuse">Sends the protocol's "too busy" reply, bounded in time by the host; null = close at once.</param>
    /// <param name="time">The clock of the refusal's time limit and of back-offs.</param>
    /// <param name="maxPerAddress">Sessions served at once for one client address (read at each accept); null = no limit but <paramref name="maxSessions"/>.</param>
    public TcpSessionHost(IEventSink events, SessionHandler serve, Func<int> maxSessions, SessionHandler? refuse = null, TimeProvider? time = null, Func<int>? maxPerAddress = null)
    {
        this.events = events;
        this.serve = serve;
        this.maxSessions = maxSessions;
        this.maxPerAddress = maxPerAddress ?? (() => int.MaxValue);
        this.refuse = refuse;
        this.time = time ?? TimeProvider.System;
    }

    /// <summary>Sessions open now.</summary>
    public int SessionCount { get { lock (gate) return sessions.Count; } }

    /// <summary>Binds and listens; throws (and keeps nothing) when the address is taken.</summary>
    public IPEndPoint Listen(IPEndPoint requested, int backlog)
    {
        var s = SocketClosing.Open(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp, s =>
        {
            s.Bind(requested);
            s.Listen(backlog);
        });
        listener = s;
        return (IPEndPoint)s.LocalEndPoint!;
    }

    /// <summary>Accepts until stopped; a fault of the listening socket itself is thrown (the server turns Faulted).</summary>
    public async Task AcceptAsync(CancellationToken stopping)
    {
        var s = listener ?? throw new InvalidOperationException("The TCP socket is not listening yet.");
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await s.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (SocketException e) when (!stopping.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client gave up before we accepted it
            }
            catch (SocketException e) when (!stopping.IsCancellationRequested && e.SocketErrorCode == SocketError.TooManyOpenSockets)
            {
                events.Emit(new LogLine(LogSeverity.Warning, $"accept: {e.Message}"));
                await Task.Delay(ExhaustedBackoff, time, stopping).ConfigureAwait(false);
                continue;
            }
            client.NoDelay = true; // replies are written whole; waiting for an ACK only adds latency
            var remote = client.RemoteEndPoint as IPEndPoint;
            var name = remote?.ToString() ?? "?";
            var address = remote is null ? IPAddress.None : remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            lock (gate)
            {
                // One address holding many connections (slowloris) is refused alone; other clients are still served.
                var fromAddress = perAddress.GetValueOrDefault(address);
                if (sessions.Count >= maxSessions() || fromAddress >= maxPerAddress())
                {
                    _ = RefuseAndCloseAsync(client, name);
                    continue;
                }
                perAddress[address] = fromAddress + 1;
                sessions[client] = Task.Run(() => RunSessionAsync(client, name, address, stopping), CancellationToken.None);
            }
        }
    }

    private async Task RunSessionAsync(Socket client, string name, IPAddress address, CancellationToken stopping)
    {
        try
        {
            await serve(client, name, stopping).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A bug in one session must not reach the server: log it and drop the connection.
            events.Emit(new LogLine(LogSeverity.Error, $"session {name}: {e.GetType().Name}: {e.Message}"));
            client.Dispose();
        }
        finally
        {
            lock (gate)
            {
                sessions.Remove(client);
                if (perAddress[address] <= 1)
                    perAddress.Remove(address);
                else
                    perAddress[address]--;
            }
        }
    }

    private async Task RefuseAndCloseAsync(Socket client, string name)
    {
        if (refuse is null)
        {
            // Nothing to say: close at once rather than hold a socket a client may be flooding with.
            client.Dispose();
            return;
        }
        try
        {
            using var deadline = Deadline.After(RefuseTimeout, CancellationToken.None, time);
            await refuse(client, name, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The refused client went away or did not read its refusal in time.
        }
        finally
        {
            client.CloseQuietly();
        }
    }

    /// <summary>Closes the listening socket so a pending accept ends.</summary>
    public void Close() => listener?.Dispose();

    /// <summary>
    /// After <see cref="Close"/>: gives the sessions <paramref name="grace"/> to say goodbye (e.g.
    /// SMTP's 421), then cuts the sockets of those still open and waits for them to end.
    /// </summary>
    public async Task StopSessionsAsync(TimeSpan grace)
    {
        Task all;
        lock (gate) all = Task.WhenAll(sessions.Values.ToArray());
        if (grace > TimeSpan.Zero && await Task.WhenAny(all, Task.Delay(grace, time)).ConfigureAwait(false) == all)
            return;
        lock (gate)
            foreach (var socket in sessions.Keys)
                socket.Dispose();
        await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
