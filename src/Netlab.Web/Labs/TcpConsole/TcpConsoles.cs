using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Netlab.Labs.Core;
using Netlab.Labs.Echo;
using Netlab.Labs.TcpConsole;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.TcpConsole;

/// <summary>A console as the API shows it.</summary>
public sealed record TcpConsoleDto(Guid Id, string Target, bool Connected, LineEnding LineEnding, int MaxLineBytes, int IdleTimeoutMs,
    long BytesSent, long BytesReceived, DateTime CreatedAt, OwnerDto? Owner = null);

/// <summary>Body of POST /api/tcp-consoles: where to connect and how to talk.</summary>
public sealed record TcpConsoleRequest(string? Host, int Port, LineEnding LineEnding = LineEnding.CrLf, int? MaxLineBytes = null, int? IdleTimeoutMs = null);

/// <summary>Body of POST /api/tcp-consoles/{id}/lines: one line to type.</summary>
public sealed record TcpConsoleLine(string? Line);

/// <summary>
/// The open TCP consoles: each a <see cref="TcpConsoleSession"/> to an allowed target, its live
/// transcript (kept for the page and GET .../events), and its owner. A closed connection keeps its
/// console (and transcript) until it is deleted or the portal stops; consoles of past the idle
/// limit are removed.
/// </summary>
public sealed class TcpConsoles(IOptionsMonitor<NetlabOptions> settings, TargetPolicy targets, LabEnvironment environment, ScaleOut.LiveOwners owners) : BackgroundService
{
    private const int MaxConsoles = 100;
    private const int Retained = 5_000;
    /// <summary>A console whose connection has closed is dropped after this long unused.</summary>
    private static readonly TimeSpan ClosedLimit = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<Guid, Console> consoles = new();

    /// <summary>Its kind among the things an instance holds (ScaleOut.LiveOwners).</summary>
    public const string OwnerKind = "tcp-console";

    public bool IsHere(Guid id) => consoles.ContainsKey(id);

    public async Task<TcpConsoleDto> OpenAsync(Viewer owner, TcpConsoleRequest request, CancellationToken cancellationToken)
    {
        var limit = settings.CurrentValue.Limits.ConsolesPerUser;
        if (consoles.Count >= MaxConsoles)
            throw new ProblemException(StatusCodes.Status429TooManyRequests, "Too many consoles", $"{MaxConsoles} TCP consoles are open; close one first.");
        if (consoles.Values.Count(c => c.Owner.Id == owner.Id) >= limit)
            throw new ProblemException(StatusCodes.Status429TooManyRequests, "Too many consoles",
                $"You have {limit} TCP consoles open, the most one user may have at once; close one first.", extensions: new Dictionary<string, object?> { ["limit"] = limit });
        var options = new TcpConsoleSettings
        {
            LineEnding = request.LineEnding,
            MaxLineBytes = request.MaxLineBytes ?? new TcpConsoleSettings().MaxLineBytes,
            IdleTimeoutMs = request.IdleTimeoutMs ?? new TcpConsoleSettings().IdleTimeoutMs,
        };
        if (OptionField.Validate(options) is { Count: > 0 } errors)
            throw ProblemException.Invalid(errors);
        var target = await targets.ResolveAsync(request.Host, request.Port, cancellationToken);
        var id = Guid.CreateVersion7();
        var events = new EventStream(id.ToString(), time: environment.Time);
        var feed = new EventFeed(Retained);
        var pump = Task.Run(async () =>
        {
            await foreach (var e in events.Reader.ReadAllAsync())
                feed.Publish([e]);
            feed.Complete();
        }, CancellationToken.None);
        TcpConsoleSession session;
        try
        {
            session = await TcpConsoleSession.ConnectAsync(target, options, events, environment.Time, cancellationToken);
        }
        catch (LabException e)
        {
            events.Complete();
            throw new ProblemException(StatusCodes.Status502BadGateway, "Cannot connect", e.Message);
        }
        var console = new Console(id, target.ToString(), options, session, events, feed, pump, DateTime.UtcNow, new OwnerDto(owner.Id, owner.Name));
        consoles[id] = console;
        // With several instances, a request for it reaching another one is relayed here.
        owners.Add(OwnerKind, id);
        return console.ToDto();
    }

    public TcpConsoleDto Get(Guid id) => Find(id).ToDto();

    public EventFeed Feed(Guid id) => Find(id).Feed;

    /// <summary>Consoles the viewer may see, newest first.</summary>
    public IReadOnlyList<TcpConsoleDto> List(Viewer viewer) =>
        [.. consoles.Values.Where(c => viewer.CanSee(c.Owner.Id)).OrderByDescending(c => c.CreatedAt).Select(c => c.ToDto())];

    public async Task<TcpConsoleDto> SendAsync(Guid id, string? line, CancellationToken cancellationToken)
    {
        if (line is null)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["line"] = ["line is required (it may be empty: an empty line)."] });
        var console = Find(id);
        if (!console.Session.Connected)
            throw new ProblemException(StatusCodes.Status409Conflict, "Connection closed", "This console's connection is closed; open a new console.");
        console.LastUsed = DateTime.UtcNow;
        try
        {
            await console.Session.SendLineAsync(line, cancellationToken);
        }
        catch (LabException e)
        {
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["line"] = [e.Message] });
        }
        return console.ToDto();
    }

    public async Task CloseAsync(Guid id)
    {
        if (!consoles.TryRemove(id, out var console))
            throw ProblemException.NotFound("console", id);
        await DisposeConsoleAsync(console);
    }

    /// <summary>404 unless the viewer owns the console (or is staff): someone else's console does not exist for a student.</summary>
    public void CheckAccess(Guid id, Viewer viewer)
    {
        if (!consoles.TryGetValue(id, out var console) || !viewer.CanSee(console.Owner.Id))
            throw ProblemException.NotFound("console", id);
    }

    private Console Find(Guid id) => consoles.TryGetValue(id, out var c) ? c : throw ProblemException.NotFound("console", id);

    private static async Task DisposeConsoleAsync(Console console)
    {
        await console.Session.DisposeAsync();
        console.Events.Complete();
        await console.Pump;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                foreach (var stale in consoles.Values.Where(c => !c.Session.Connected && DateTime.UtcNow - c.LastUsed > ClosedLimit).ToList())
                    if (consoles.TryRemove(stale.Id, out _))
                        await DisposeConsoleAsync(stale);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var id in consoles.Keys.ToList())
            if (consoles.TryRemove(id, out var console))
                await DisposeConsoleAsync(console);
    }

    private sealed class Console(Guid id, string target, TcpConsoleSettings settings, TcpConsoleSession session, EventStream events, EventFeed feed, Task pump, DateTime createdAt, OwnerDto owner)
    {
        public Guid Id { get; } = id;
        public OwnerDto Owner { get; } = owner;
        public TcpConsoleSession Session { get; } = session;
        public EventStream Events { get; } = events;
        public EventFeed Feed { get; } = feed;
        public Task Pump { get; } = pump;
        public DateTime CreatedAt { get; } = createdAt;
        public DateTime LastUsed { get; set; } = createdAt;

        public TcpConsoleDto ToDto() => new(Id, target, Session.Connected, settings.LineEnding, settings.MaxLineBytes, settings.IdleTimeoutMs,
            Session.BytesSent, Session.BytesReceived, CreatedAt, Owner);
    }
}
