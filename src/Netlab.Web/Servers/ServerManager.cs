using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Netlab.Labs;
using Netlab.Labs.Core;
using Netlab.Web.Hosting;
using Netlab.Web.Hubs;
using Netlab.Web.Runs;

namespace Netlab.Web.Servers;

/// <summary>Body of POST /api/servers.</summary>
public sealed record StartServerRequest(string? Lab, int Port, JsonElement? Options);

/// <summary>A lab server as the API and the UI show it.</summary>
public sealed record ServerDto(Guid Id, string Lab, string Address, int Port, ServerState State, string? FaultReason,
    JsonElement Options, DateTime StartedAt, long DroppedEvents);

/// <summary>
/// The lab servers running inside the portal: starts them from validated options, keeps their
/// recent events for the UI (and sends them to the hub group), stops them on request and at
/// shutdown. A server that faults stays listed as Faulted with its reason until it is removed.
/// </summary>
public sealed class ServerManager(IOptionsMonitor<NetlabOptions> settings, LabEnvironment environment, IHubContext<RunsHub> hub, ILogger<ServerManager> logger)
    : IHostedService, ILabServerDirectory
{
    /// <summary>Events kept per server for a newly opened page; servers under load emit many.</summary>
    private const int Retained = 500;
    private const int ChannelCapacity = 10_000;

    private readonly ConcurrentDictionary<Guid, HostedServer> servers = new();

    public event Action? ServersChanged;

    public IReadOnlyList<ServerDto> List() => [.. servers.Values.OrderBy(s => s.StartedAt).Select(s => s.ToDto())];

    public ServerDto Get(Guid id) => Find(id).ToDto();

    public EventFeed Feed(Guid id) => Find(id).Feed;

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
            throw ProblemException.BadRequest($"A {Find(id).Lab} server has nothing to reload.");
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
    public string StorageDirectory(Guid id) => Path.Combine(environment.DataDirectory ?? Path.GetTempPath(), "servers", id.ToString());

    /// <summary>What is wrong with a server port, in the words the API and the server form both use; null when it is fine.</summary>
    public static string? PortProblem(int? port) =>
        port is >= 0 and <= 65535 ? null : $"port must be between 0 and 65535 (0 = any free port); got {port?.ToString() ?? "nothing"}.";

    public async Task<ServerDto> StartAsync(StartServerRequest request, CancellationToken cancellationToken)
    {
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
        var hosted = new HostedServer(id, lab.Id, server, OptionField.Redacted(options, kind.OptionsType), new EventFeed(Retained), DateTime.UtcNow);
        servers[id] = hosted;
        hosted.Pump = Task.Run(() => PumpAsync(hosted), CancellationToken.None);
        logger.LogInformation("Started {Lab} server {Id} on {EndPoint}", lab.Id, id, server.LocalEndPoint);
        ServersChanged?.Invoke();
        return hosted.ToDto();
    }

    public async Task StopAsync(Guid id)
    {
        if (!servers.TryRemove(id, out var hosted))
            throw ProblemException.NotFound("server", id);
        await hosted.Server.DisposeAsync();
        await hosted.Pump;
        logger.LogInformation("Stopped {Lab} server {Id}", hosted.Lab, id);
        ServersChanged?.Invoke();
    }

    private async Task PumpAsync(HostedServer hosted)
    {
        var reader = hosted.Server.Events.Reader;
        var group = hub.Clients.Group(RunsHub.ServerGroup(hosted.Id));
        var batch = new List<LabEvent>(256);
        try
        {
            while (await reader.WaitToReadAsync())
            {
                batch.Clear();
                while (batch.Count < 256 && reader.TryRead(out var e))
                    batch.Add(e);
                hosted.Feed.Publish(batch);
                if (batch.Exists(e => e is ServerStateChanged))
                    ServersChanged?.Invoke();
                // Typed as LabEvent[] so each event carries its "kind"; serialized only if someone is in the group.
                await group.SendAsync("events", batch.ToArray());
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Event pump of server {Id} failed", hosted.Id);
        }
        finally
        {
            hosted.Feed.Complete();
        }
    }

    private HostedServer Find(Guid id) => servers.TryGetValue(id, out var s) ? s : throw ProblemException.NotFound("server", id);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var id in servers.Keys.ToList())
            await StopAsync(id).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private sealed record HostedServer(Guid Id, string Lab, ILabServer Server, JsonElement Options, EventFeed Feed, DateTime StartedAt)
    {
        public Task Pump { get; set; } = Task.CompletedTask;

        public ServerDto ToDto() => new(Id, Lab, Server.LocalEndPoint?.Address.ToString() ?? "", Server.LocalEndPoint?.Port ?? 0,
            Server.State, Server.FaultReason, Options, StartedAt, Server.Events.Dropped);
    }
}

/// <summary>The server directory handed to probes, resolved when first asked.</summary>
internal sealed class LazyServerDirectory(IServiceProvider services) : ILabServerDirectory
{
    public ILabServer? FindByEndPoint(IPEndPoint endPoint) => services.GetRequiredService<ServerManager>().FindByEndPoint(endPoint);
}
