using System.Net;
using System.Net.Sockets;

namespace Netlab.Labs.Core;

public enum ServerState { Created, Starting, Running, Stopping, Stopped, Faulted }

/// <summary>
/// The one lifecycle every lab server follows: configured by an options record, started on an
/// endpoint (port 0 = any free port, reported in <see cref="LocalEndPoint"/>), stopped and
/// disposed cleanly, reporting what it sees on <see cref="Events"/>.
/// </summary>
public interface ILabServer : IAsyncDisposable
{
    string Lab { get; }
    ServerState State { get; }
    string? FaultReason { get; }
    IPEndPoint? LocalEndPoint { get; }
    EventStream Events { get; }

    /// <summary>Binds and starts serving. Throws <see cref="PortInUseException"/> when the port is taken.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    Task StopAsync();
}

/// <summary>
/// Base of all lab servers: owns the state machine. Subclasses bind in <see cref="Bind"/> and
/// serve in <see cref="ServeAsync"/>; a fault that escapes ServeAsync turns the server Faulted
/// with the reason (it never reaches the host). Faults inside one session or datagram are the
/// subclass's to contain.
/// </summary>
public abstract class LabServer : ILabServer
{
    private readonly CancellationTokenSource stopping = new();
    private readonly IPEndPoint requested;
    private Task serving = Task.CompletedTask;
    private int state = (int)ServerState.Created;

    protected LabServer(string lab, IPEndPoint endpoint, EventStream events)
    {
        Lab = lab;
        requested = endpoint;
        Events = events;
    }

    public string Lab { get; }
    public ServerState State => (ServerState)Volatile.Read(ref state);
    public string? FaultReason { get; private set; }
    public IPEndPoint? LocalEndPoint { get; private set; }
    public EventStream Events { get; }

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref state, (int)ServerState.Starting, (int)ServerState.Created) != (int)ServerState.Created)
            throw new InvalidOperationException($"A server can be started once; this one is {State}.");
        try
        {
            LocalEndPoint = Bind(requested);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            SetState(ServerState.Faulted, $"Port {requested.Port} is already in use.");
            throw new PortInUseException(requested.Port, e);
        }
        catch (Exception e)
        {
            SetState(ServerState.Faulted, e.Message);
            throw;
        }
        SetState(ServerState.Running, null);
        serving = Task.Run(() => RunAsync(stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken token)
    {
        try
        {
            await ServeAsync(token).ConfigureAwait(false);
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // Shutting down: closing the socket ends pending operations with one exception or another.
        }
        catch (Exception e)
        {
            SetState(ServerState.Faulted, $"{e.GetType().Name}: {e.Message}");
            CloseListener(); // whatever else was serving stops too
        }
    }

    public async Task StopAsync()
    {
        var current = State;
        if (current is ServerState.Created or ServerState.Stopped or ServerState.Stopping)
            return;
        if (current != ServerState.Faulted)
            SetState(ServerState.Stopping, null);
        stopping.Cancel();
        CloseListener();
        await serving.ConfigureAwait(false);
        await OnStoppedAsync().ConfigureAwait(false);
        if (State != ServerState.Faulted)
            SetState(ServerState.Stopped, null);
        Events.Complete();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Opens the listening socket; returns the endpoint actually bound.</summary>
    protected abstract IPEndPoint Bind(IPEndPoint requested);

    /// <summary>Serves until the token is cancelled.</summary>
    protected abstract Task ServeAsync(CancellationToken stoppingToken);

    /// <summary>
    /// Runs a server's loops (e.g. UDP and TCP) until all end; the first to fail fails the whole,
    /// instead of waiting forever on the others.
    /// </summary>
    protected static async Task ServeAllAsync(params Task[] loops)
    {
        var pending = loops.ToList();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending).ConfigureAwait(false);
            await finished.ConfigureAwait(false); // rethrows a fault
            pending.Remove(finished);
        }
    }

    /// <summary>Closes the listening socket so pending accepts and receives end.</summary>
    protected abstract void CloseListener();

    /// <summary>Waits for in-flight work (sessions, delayed replies) after the listener closed.</summary>
    protected virtual Task OnStoppedAsync() => Task.CompletedTask;

    private void SetState(ServerState next, string? reason)
    {
        Volatile.Write(ref state, (int)next);
        if (next == ServerState.Faulted)
            FaultReason = reason;
        Events.Emit(new ServerStateChanged(next, reason));
    }
}

/// <summary>A server whose content can be read again while it runs (e.g. a DNS zone).</summary>
public interface IReloadable
{
    /// <summary>Reloads; returns what was loaded. Throws <see cref="LabException"/> and keeps the old content on a mistake.</summary>
    string Reload();
}

/// <summary>A probe that can be paused and resumed while it runs (the heartbeat client).</summary>
public interface IPausable
{
    bool Paused { get; }
    void Pause();
    void Resume();
}

/// <summary>The lab servers running in this process, for probes that report what their target saw.</summary>
public interface ILabServerDirectory
{
    ILabServer? FindByEndPoint(IPEndPoint endPoint);
}

/// <summary>An error the user caused and can fix: shown as a message, never a stack trace.</summary>
public class LabException(string message, Exception? inner = null) : Exception(message, inner);

public sealed class PortInUseException(int port, Exception? inner = null)
    : LabException($"Port {port} is already in use. Choose another port, or 0 for any free port.", inner)
{
    public int Port { get; } = port;
}
