using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Core;

/// <summary>
/// The part every TCP lab server shares (web, SMTP, FTP): listen, accept, serve each connection
/// concurrently in its own session, refuse connections beyond the limit with the protocol's
/// "busy" reply, contain a failing session, and close every session on stop. Subclasses say what
/// a session is and how their protocol refuses.
/// </summary>
public abstract class TcpLabServer(string lab, IPEndPoint endpoint, EventStream events, int backlog) : LabServer(lab, endpoint, events)
{
    private static readonly TimeSpan RefuseTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock gate = new();
    private readonly Dictionary<Socket, Task> sessions = [];
    private Socket? listener;

    /// <summary>Sessions open now.</summary>
    public int SessionCount { get { lock (gate) return sessions.Count; } }

    /// <summary>Sessions served at once; one more is refused.</summary>
    protected abstract int MaxSessions { get; }

    /// <summary>How long sessions may take to say goodbye on stop (e.g. SMTP's 421) before their sockets are cut.</summary>
    protected virtual TimeSpan StopGrace => TimeSpan.Zero;

    /// <summary>The log line that says the server is up, on which endpoint, serving what.</summary>
    protected abstract string Listening(EndPoint local);

    /// <summary>Serves one connection until it ends; owns and closes the socket.</summary>
    protected abstract Task ServeSessionAsync(Socket client, string name, CancellationToken stopping);

    /// <summary>Sends the protocol's "too busy, try later" reply; the base class bounds it in time and closes the socket.</summary>
    protected abstract Task RefuseAsync(Socket client, string name, CancellationToken cancellationToken);

    protected sealed override IPEndPoint Bind(IPEndPoint requested)
    {
        var s = new Socket(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Bind(requested);
            s.Listen(backlog);
        }
        catch
        {
            s.Dispose();
            throw;
        }
        listener = s;
        Events.Emit(new LogLine(LogSeverity.Info, Listening(s.LocalEndPoint!)));
        return (IPEndPoint)s.LocalEndPoint!;
    }

    protected sealed override async Task ServeAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener!.AcceptAsync(stoppingToken);
            }
            catch (SocketException e) when (!stoppingToken.IsCancellationRequested && e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                continue; // the client gave up before we accepted it
            }
            client.NoDelay = true;
            var name = client.RemoteEndPoint?.ToString() ?? "?";
            lock (gate)
            {
                if (sessions.Count >= MaxSessions)
                {
                    _ = RefuseAndCloseAsync(client, name);
                    continue;
                }
                sessions[client] = Task.Run(async () =>
                {
                    try
                    {
                        await ServeSessionAsync(client, name, stoppingToken);
                    }
                    catch (Exception e)
                    {
                        // A bug in one session must not reach the server: log it and drop the connection.
                        Events.Emit(new LogLine(LogSeverity.Error, $"session {name}: {e.GetType().Name}: {e.Message}"));
                        client.Dispose();
                    }
                    finally
                    {
                        lock (gate) sessions.Remove(client);
                    }
                }, CancellationToken.None);
            }
        }
    }

    private async Task RefuseAndCloseAsync(Socket client, string name)
    {
        using (client)
        {
            try
            {
                using var timeout = new CancellationTokenSource(RefuseTimeout);
                await RefuseAsync(client, name, timeout.Token);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    protected sealed override void CloseListener() => listener?.Dispose();

    protected sealed override async Task OnStoppedAsync()
    {
        Task all;
        lock (gate) all = Task.WhenAll(sessions.Values.ToArray());
        if (StopGrace > TimeSpan.Zero && await Task.WhenAny(all, Task.Delay(StopGrace)) == all)
            return;
        lock (gate)
            foreach (var socket in sessions.Keys)
                socket.Dispose();
        await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
