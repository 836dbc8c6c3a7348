using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Core;

/// <summary>
/// A lab server on one TCP port (web, SMTP, FTP): the <see cref="LabServer"/> lifecycle around a
/// <see cref="TcpSessionHost"/>. Subclasses say what a session is and how their protocol refuses.
/// </summary>
public abstract class TcpLabServer : LabServer
{
    private readonly TcpSessionHost host;
    private readonly int backlog;

    /// <param name="time">The clock of the host's time limits (the refusal's); null = the system's.</param>
    protected TcpLabServer(string lab, IPEndPoint endpoint, EventStream events, int backlog, TimeProvider? time = null) : base(lab, endpoint, events)
    {
        this.backlog = backlog;
        host = new TcpSessionHost(events, ServeSessionAsync, () => MaxSessions, RefuseAsync, time, () => MaxSessionsPerAddress);
    }

    /// <summary>Sessions open now.</summary>
    public int SessionCount => host.SessionCount;

    /// <summary>Sessions served at once; one more is refused.</summary>
    protected abstract int MaxSessions { get; }

    /// <summary>Sessions served at once for one client address; one more from it is refused. No limit but <see cref="MaxSessions"/> unless a server says.</summary>
    protected virtual int MaxSessionsPerAddress => int.MaxValue;

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
        var local = host.Listen(requested, backlog);
        Events.Emit(new LogLine(LogSeverity.Info, Listening(local)));
        return local;
    }

    protected sealed override Task ServeAsync(CancellationToken stoppingToken) => host.AcceptAsync(stoppingToken);

    protected sealed override void CloseListener() => host.Close();

    protected sealed override Task OnStoppedAsync() => host.StopSessionsAsync(StopGrace);
}
