using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Netlab.Data;
using Netlab.Labs;
using Netlab.Labs.Core;
using Netlab.Web.Hosting;
using Netlab.Web.Hubs;
using Netlab.Web.Runs;

namespace Netlab.Web.Servers;

/// <summary>Body of POST /api/servers.</summary>
public sealed record StartServerRequest(string? Lab, int Port, JsonElement? Options);

/// <summary>
/// A lab server as the API and the UI show it, running or stored. DroppedEvents: events it
/// emitted that were not stored (over the per-server limit, or faster than they could be read).
/// Instance: the portal instance it lives in (several instances; see ScaleOut).
/// </summary>
public sealed record ServerDto(Guid Id, string Lab, string Address, int Port, ServerStatus State, string? FaultReason,
    JsonElement Options, DateTime StartedAt, long DroppedEvents, DateTime? StoppedAt = null, long EventCount = 0,
    string? OwnerId = null, string? OwnerName = null, string? Instance = null)
{
    /// <summary>True while the server runs (in this instance or another: it can be stopped, reloaded, followed live); a stored end always has a time.</summary>
    public bool IsLive => StoppedAt is null;

    public static ServerDto From(ServerEntity e) => new(e.Id, e.Lab, e.Address, e.Port, e.State, e.FaultReason,
        JsonElement.Parse(e.OptionsJson), DateTime.SpecifyKind(e.StartedAt, DateTimeKind.Utc), e.DroppedEvents,
        e.StoppedAt is { } stopped ? DateTime.SpecifyKind(stopped, DateTimeKind.Utc) : null, e.EventCount, e.OwnerId, e.OwnerName, e.InstanceId);
}

/// <summary>
/// The lab servers running inside the portal: starts them from validated options, records each in
/// the store (its events too, through the same <see cref="EventPump"/> as runs), keeps its recent
/// events for the live views (and sends them to the hub group), stops it on request and at
/// shutdown. A server that faults stays listed as Faulted with its reason until it is stopped;
/// once stopped it is only in the store (<see cref="ServerStore"/>).
/// </summary>
public sealed class ServerManager(IOptionsMonitor<NetlabOptions> settings, LabEnvironment environment, IHubContext<RunsHub> hub,
    IDbContextFactory<NetlabDbContext> contexts, EventPump pump, Data.LabDirectories directories, TimeProvider time,
    ScaleOut.PortalInstance instance, ScaleOut.IEventRelay relay, ILogger<ServerManager> logger)
    : IHostedService, ILabServerDirectory
{
    /// <summary>Events kept per server for a newly opened page; servers under load emit many.</summary>
    private const int Retained = 500;
    private const int ChannelCapacity = 10_000;

    private readonly ConcurrentDictionary<Guid, HostedServer> servers = new();

    private ILogger Logger => logger;

    private readonly ScaleOut.IEventRelay relay = relay;

    private long MaxStoredEvents => settings.CurrentValue.Servers.MaxStoredEventsPerServer;

    public event Action? ServersChanged;

    public IReadOnlyList<ServerDto> List() => [.. servers.Values.OrderBy(s => s.Entity.StartedAt).Select(s => s.ToDto())];

    /// <summary>The running servers the viewer may see: their own, or everyone's for staff.</summary>
    public IReadOnlyList<ServerDto> List(Accounts.Viewer viewer) => [.. List().Where(s => viewer.CanSee(s.OwnerId))];

    public ServerDto Get(Guid id) => Find(id).ToDto();

    /// <summary>The server if it runs in this process; null once stopped (then it is in the store).</summary>
    public ServerDto? TryGet(Guid id) => servers.TryGetValue(id, out var s) ? s.ToDto() : null;

    /// <summary>The live feed of a running server; null once it stopped and every event is stored.</summary>
    public EventFeed? FindFeed(Guid id) => servers.TryGetValue(id, out var s) ? s.Feed : null;

    /// <summary>The running server itself, for lab pages that show more than the common state (e.g. a DNS zone).</summary>
    public ILabServer Instance(Guid id) => Find(id).Server;

    /// <summary>The running server, or null once it has been stopped (pages may still hold its id for a moment).</summary>
    public ILabServer? TryInstance(Guid id) => servers.TryGetValue(id, out var s) ? s.Server : null;

    public ILabServer? FindByEndPoint(IPEndPoint endPoint) => servers.Values.Select(s => s.Server).FirstOrDefault(s =>
        s.LocalEndPoint is { } bound && bound.Port == endPoint.Port
        && (bound.Address.Equals(endPoint.Address) || bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any)));

    /// <summary>Reloads a server's content (a DNS zone) without a restart.</summary>
    public string Reload(Guid id)
    {
        if (Find(id).Server is not IReloadable reloadable)
            throw ProblemException.BadRequest($"A {Find(id).Entity.Lab} server has nothing to reload.");
        try
        {
            return reloadable.Reload();
        }
        catch (LabException e)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, "Reload failed", e.Message + " The server keeps what it had.");
        }
    }

    /// <summary>The server's own folder, kept after it stops: &lt;DataDirectory&gt;/servers/&lt;id&gt;.</summary>
    public string StorageDirectory(Guid id) => directories.ServerFolder(id);

    /// <summary>What is wrong with a server port, in the words the API and the server form both use; null when it is fine.</summary>
    public static string? PortProblem(int? port) =>
        port is >= 0 and <= 65535 ? null : $"port must be between 0 and 65535 (0 = any free port); got {port?.ToString() ?? "nothing"}.";

    /// <param name="owner">Who starts it: stored with it, and counted against their limit of running servers.</param>
    public async Task<ServerDto> StartAsync(StartServerRequest request, Accounts.Viewer owner, CancellationToken cancellationToken)
    {
        var (running, ownRunning) = await CountRunningAsync(owner, cancellationToken);
        if (running >= settings.CurrentValue.Limits.Servers)
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, "Portal full",
                $"The portal runs {settings.CurrentValue.Limits.Servers} lab servers, its limit (Netlab:Limits:Servers). Try again when some have stopped.",
                extensions: new Dictionary<string, object?> { ["limit"] = settings.CurrentValue.Limits.Servers });
        var limit = settings.CurrentValue.Limits.ServersPerUser;
        if (ownRunning >= limit)
            throw new ProblemException(StatusCodes.Status429TooManyRequests, "Too many servers",
                $"You have {limit} lab servers running, the most one user may have at once. Stop one first.",
                extensions: new Dictionary<string, object?> { ["limit"] = limit });
        var lab = LabCatalog.Find(request.Lab);
        var withServers = string.Join(", ", LabCatalog.All.Where(l => l.Server is not null).Select(l => l.Id));
        var kind = lab?.Server ?? throw ProblemException.BadRequest(request.Lab is null ? "lab is required."
            : lab is null ? $"Unknown lab '{request.Lab}'. Labs with a server: {withServers}."
            : $"The {lab.Id} lab has no server (its probes target hosts). Labs with a server: {withServers}.");
        if (PortProblem(request.Port) is { } problem)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["port"] = [problem] });
        var options = LabOptionsBinder.Bind(kind.OptionsType, request.Options);
        var bindAddress = IPAddress.Parse(settings.CurrentValue.Servers.BindAddress);

        var id = Guid.CreateVersion7();
        var events = new EventStream(id.ToString(), ChannelCapacity);
        ILabServer server;
        try
        {
            server = kind.Create(options, new ServerContext(new IPEndPoint(bindAddress, request.Port), events, environment) { StorageDirectory = StorageDirectory(id) });
        }
        catch (LabException e)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, "Server could not start", e.Message);
        }
        try
        {
            await server.StartAsync(cancellationToken);
        }
        catch (PortInUseException e)
        {
            await server.DisposeAsync();
            throw new ProblemException(StatusCodes.Status409Conflict, "Port in use", e.Message,
                extensions: new Dictionary<string, object?> { ["port"] = e.Port });
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or LabException)
        {
            await server.DisposeAsync();
            throw new ProblemException(StatusCodes.Status400BadRequest, "Server could not start", e.Message);
        }
        var redacted = OptionField.Redacted(options, kind.OptionsType);
        var entity = new ServerEntity
        {
            Id = id,
            Lab = lab.Id,
            OwnerId = owner.Id,
            OwnerName = owner.Name,
            OptionsJson = redacted.GetRawText(),
            Address = server.LocalEndPoint?.Address.ToString() ?? "",
            Port = server.LocalEndPoint?.Port ?? 0,
            State = Status(server.State),
            FaultReason = server.FaultReason,
            StartedAt = time.GetUtcNow().UtcDateTime,
            InstanceId = instance.Id,
        };
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.Servers.Add(entity);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch
        {
            // A server no record knows of would observe for no one.
            await server.DisposeAsync();
            throw;
        }
        var hosted = new HostedServer(this, entity, server, redacted, hub.Clients.Group(RunsHub.ServerGroup(id)));
        servers[id] = hosted;
        hosted.Pump = Task.Run(() => PumpAsync(hosted), CancellationToken.None);
        logger.LogInformation("Started {Lab} server {Id} on {EndPoint}", lab.Id, id, server.LocalEndPoint);
        ServersChanged?.Invoke();
        return hosted.ToDto();
    }

    /// <summary>Servers running in the portal and the owner's: in memory in one process, from the shared database across instances.</summary>
    private async Task<(int All, int Owner)> CountRunningAsync(Accounts.Viewer owner, CancellationToken cancellationToken)
    {
        if (!instance.SharesDatabase)
            return (servers.Count, servers.Values.Count(s => s.Entity.OwnerId == owner.Id));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var running = db.Servers.Where(s => s.StoppedAt == null);
        return (await running.CountAsync(cancellationToken), await running.CountAsync(s => s.OwnerId == owner.Id, cancellationToken));
    }

    /// <summary>
    /// Stops a running (or faulted) server and records how it ended; its record and events stay.
    /// 404 for an unknown id, 409 for a server that is already stopped.
    /// </summary>
    public async Task StopAsync(Guid id)
    {
        if (!servers.TryGetValue(id, out var hosted))
        {
            await using var db = await contexts.CreateDbContextAsync();
            var stored = await db.Servers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id)
                ?? throw ProblemException.NotFound("server", id);
            throw NotRunning(ServerDto.From(stored));
        }
        await hosted.StopOnceAsync(() => EndAsync(hosted, ServerStatus.Stopped, null));
    }

    /// <summary>The 409 for asking a server that no longer runs to do something.</summary>
    public static ProblemException NotRunning(ServerDto server) => new(StatusCodes.Status409Conflict, "Server already stopped",
        $"Server {server.Id} is already {server.State}{(server.StoppedAt is { } at ? $" (since {at:u})" : "")}; its record and events are kept.");

    /// <summary>Disposes the server, lets the pump store what is left, then records the end; only then is it gone from the live list.</summary>
    private async Task EndAsync(HostedServer hosted, ServerStatus ending, string? reason)
    {
        await hosted.Server.DisposeAsync();
        await hosted.Pump;
        var entity = hosted.Entity;
        // A fault is what the record keeps: stopping a faulted server does not make it look healthy.
        if (entity.State != ServerStatus.Faulted)
        {
            entity.State = ending;
            entity.FaultReason = reason;
        }
        entity.StoppedAt = time.GetUtcNow().UtcDateTime;
        entity.DroppedEvents = hosted.NotStored + hosted.Server.Events.Dropped;
        try
        {
            await using var db = await contexts.CreateDbContextAsync();
            db.Servers.Update(entity);
            await db.SaveChangesAsync();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not record the end of server {Id}", entity.Id);
        }
        servers.TryRemove(entity.Id, out _);
        // Followers in other instances stop; the end is stored by now.
        await relay.EndAsync(ScaleOut.FeedSource.Server, entity.Id);
        logger.LogInformation("Stopped {Lab} server {Id}", entity.Lab, entity.Id);
        ServersChanged?.Invoke();
    }

    private async Task PumpAsync(HostedServer hosted)
    {
        try
        {
            await pump.RunAsync(hosted.Server.Events.Reader, hosted);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Event pump of server {Id} failed", hosted.Entity.Id);
        }
        finally
        {
            hosted.Hub.Complete();
            hosted.Feed.Complete();
        }
    }

    private static ServerStatus Status(ServerState state) => state switch
    {
        ServerState.Created or ServerState.Starting => ServerStatus.Starting,
        ServerState.Running => ServerStatus.Running,
        ServerState.Stopping => ServerStatus.Stopping,
        ServerState.Stopped => ServerStatus.Stopped,
        _ => ServerStatus.Faulted,
    };

    private HostedServer Find(Guid id) => servers.TryGetValue(id, out var s) ? s : throw ProblemException.NotFound("server", id);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On shutdown, servers still running end as Interrupted, with their events stored.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        const string reason = "The portal shut down while this server was running.";
        await Task.WhenAll(servers.Values.Select(s => s.StopOnceAsync(() => EndAsync(s, ServerStatus.Interrupted, reason))))
            .WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// One running server and its destination in the event pump: its rows are its ServerEvents (up
    /// to the per-server limit; past it only counted) and its record's counts and state, written in
    /// the same transaction; live, its recent-events feed and its hub group.
    /// </summary>
    private sealed class HostedServer(ServerManager manager, ServerEntity entity, ILabServer server, JsonElement options, IClientProxy group)
        : IEventDestination
    {
        private readonly Lock gate = new();
        private Task? stopping;
        private long notStored;

        public ServerEntity Entity { get; } = entity;
        public ILabServer Server { get; } = server;
        public EventFeed Feed { get; } = new(Retained);
        public Task Pump { get; set; } = Task.CompletedTask;
        public long NotStored => Interlocked.Read(ref notStored);

        public string Name => $"server {Entity.Id}";

        /// <summary>Stops once: a second request while the first is under way waits for the same stop.</summary>
        public Task StopOnceAsync(Func<Task> stop)
        {
            lock (gate)
                return stopping ??= stop();
        }

        public void Store(NetlabDbContext db, IReadOnlyList<StoredEvent> batch)
        {
            var room = Math.Max(0, manager.MaxStoredEvents - Entity.EventCount);
            var kept = batch.Count <= room ? batch : batch.Take((int)room).ToList();
            db.ServerEvents.AddRange(kept.Select(e => new ServerEventEntity { ServerId = Entity.Id, Seq = e.Seq, Kind = e.Kind, Timestamp = e.Timestamp, Json = e.Json }));
            Entity.EventCount += kept.Count;
            Interlocked.Add(ref notStored, batch.Count - kept.Count);
            Entity.DroppedEvents = NotStored + Server.Events.Dropped;
            // Running and Faulted as they happen; the end (Stopped, Interrupted) is recorded by whoever stops it.
            foreach (var change in batch.Select(e => e.Event).OfType<ServerStateChanged>())
                if (change.State is ServerState.Running or ServerState.Faulted && Entity.State != ServerStatus.Faulted)
                    (Entity.State, Entity.FaultReason) = (Status(change.State), change.Reason);
            db.Servers.Update(Entity);
        }

        public async Task PublishAsync(IReadOnlyList<StoredEvent> batch)
        {
            // Typed as LabEvent[] so each event carries its "kind"; serialized only if someone is in the group.
            LabEvent[] events = [.. batch.Select(e => e.Event)];
            Feed.Publish(events);
            if (Array.Exists(events, e => e is ServerStateChanged))
                manager.ServersChanged?.Invoke();
            Hub.Post("events", events);
            // Followers in other instances (a no-op in one process).
            await manager.relay.PublishAsync(ScaleOut.FeedSource.Server, Entity.Id, batch);
        }

        /// <summary>The server's hub group, fed on its own task so a slow hub client never holds up the pump.</summary>
        public HubForwarder Hub { get; } = new(group, manager.Logger, $"server {entity.Id}");

        public ServerDto ToDto() => new(Entity.Id, Entity.Lab, Server.LocalEndPoint?.Address.ToString() ?? Entity.Address, Server.LocalEndPoint?.Port ?? Entity.Port,
            Status(Server.State), Server.FaultReason, options, DateTime.SpecifyKind(Entity.StartedAt, DateTimeKind.Utc), NotStored + Server.Events.Dropped,
            null, Entity.EventCount, Entity.OwnerId, Entity.OwnerName, Entity.InstanceId);
    }
}

/// <summary>The server directory handed to probes, resolved when first asked.</summary>
internal sealed class LazyServerDirectory(IServiceProvider services) : ILabServerDirectory
{
    public ILabServer? FindByEndPoint(IPEndPoint endPoint) => services.GetRequiredService<ServerManager>().FindByEndPoint(endPoint);
}
