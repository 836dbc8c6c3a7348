using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Labs;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.Hubs;

namespace Netlab.Web.Runs;

/// <summary>
/// Starts probes in the background and carries each run's events to where they go:
/// probe -> event channel -> (a) the run's live feed (Blazor, SSE, hub streams) and SignalR group,
/// (b) the store, in batches -> (c) the run's status and summary when it ends.
/// Nothing here knows a particular lab: every probe goes through the same path.
/// </summary>
public sealed class RunCoordinator(
    IDbContextFactory<NetlabDbContext> contexts,
    TargetPolicy targets,
    LabEnvironment environment,
    IHubContext<RunsHub> hub,
    Microsoft.Extensions.Options.IOptionsMonitor<NetlabOptions> settings,
    EventPump pump,
    Servers.ServerStore servers,
    Servers.ServerManager serverManager,
    TimeProvider time,
    Data.StoreHealth health,
    ScaleOut.PortalInstance instance,
    ScaleOut.IEventRelay relay,
    ILogger<RunCoordinator> logger) : IHostedService, Microsoft.Extensions.Diagnostics.HealthChecks.IHealthCheck
{
    /// <summary>How often an end the store refused (a full disk) is tried again.</summary>
    public static readonly TimeSpan EndRetryInterval = TimeSpan.FromSeconds(2);

    /// <summary>Ended runs whose final record the store refused: shown from here and written when it takes writes again.</summary>
    private readonly ConcurrentDictionary<Guid, RunEntity> unsavedEnds = new();
    private int retrying;

    /// <summary>
    /// The events a live run keeps in memory for its followers; one who joins later reads the
    /// older ones from the store. A class of long runs stays within a bounded amount of memory.
    /// </summary>
    public const int LiveTail = 512;

    private readonly ConcurrentDictionary<Guid, ActiveRun> active = new();
    private readonly CancellationTokenSource shutdown = new();

    /// <summary>Raised when a run starts or ends, for lists that update live.</summary>
    public event Action<RunChange>? RunChanged;

    public EventFeed? FindLive(Guid id) => active.TryGetValue(id, out var run) ? run.Feed : null;

    /// <summary>Unhealthy while ended runs wait for their final record (other writes may succeed meanwhile).</summary>
    public Task<Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult> CheckHealthAsync(Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckContext context,
        CancellationToken cancellationToken = default) => Task.FromResult(unsavedEnds.IsEmpty
            ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("Every ended run is recorded.")
            : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy(
                $"{unsavedEnds.Count} ended run(s) could not be recorded yet (is the disk full?); tried again every {EndRetryInterval.TotalSeconds:0} s."));

    /// <summary>The end of a run the store has not taken yet (a full disk), which the stored record (still Running) lacks.</summary>
    public RunDto? UnsavedEnd(Guid id) => unsavedEnds.TryGetValue(id, out var entity) ? RunDto.From(entity) : null;


    public async Task<RunDto> StartAsync(StartRunRequest request, Viewer owner, CancellationToken cancellationToken)
    {
        var (running, ownRunning) = await CountRunningAsync(owner, cancellationToken);
        if (running >= settings.CurrentValue.Limits.RunningProbes)
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, "Portal full",
                $"The portal has {settings.CurrentValue.Limits.RunningProbes} runs in progress, its limit (Netlab:Limits:RunningProbes). Try again when some have ended.",
                extensions: new Dictionary<string, object?> { ["limit"] = settings.CurrentValue.Limits.RunningProbes });
        var limit = settings.CurrentValue.Limits.RunningProbesPerUser;
        if (ownRunning >= limit)
            throw new ProblemException(StatusCodes.Status429TooManyRequests, "Too many runs",
                $"You have {limit} runs in progress, the most one user may have at once. Wait for one to end or cancel one.",
                extensions: new Dictionary<string, object?> { ["limit"] = limit });
        var (lab, kind) = LabCatalog.FindProbe(request.Probe)
            ?? throw ProblemException.BadRequest(request.Probe is null
                ? "probe is required."
                : $"Unknown probe '{request.Probe}'. Known probes: {string.Join(", ", LabCatalog.AllProbes.Select(p => p.Id))}.");
        var options = LabOptionsBinder.Bind(kind.OptionsType, request.Options);
        if (request.Target is null)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["target"] = ["target is required: {\"host\": ..., \"port\": ...}."] });
        var target = await targets.ResolveAsync(request.Target.Host, request.Target.Port, cancellationToken, kind.UsesPort);
        // A client grader reads stored server sessions, only those its owner may see.
        var probe = kind.Create(options, environment with { Sessions = new Servers.StoredServerSessions(servers, serverManager, owner, time) });

        var entity = new RunEntity
        {
            Id = Guid.CreateVersion7(),
            Lab = lab.Id,
            Probe = kind.Id,
            TargetHost = target.Host,
            TargetAddress = target.Address.ToString(),
            TargetPort = target.Port,
            OptionsJson = OptionField.Redacted(options, kind.OptionsType).GetRawText(),
            Status = RunStatus.Running,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            OwnerId = owner.Id,
            OwnerName = owner.Name,
            InstanceId = instance.Id,
        };
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            db.Runs.Add(entity);
            await db.SaveChangesAsync(cancellationToken);
        }

        var run = new ActiveRun(entity, probe, new EventStream(entity.Id.ToString()), new EventFeed(LiveTail, earlier: (before, ct) => StoredBeforeAsync(entity.Id, before, ct)),
            CancellationTokenSource.CreateLinkedTokenSource(shutdown.Token), new HubForwarder(hub.Clients.Group(RunsHub.RunGroup(entity.Id)), logger, $"run {entity.Id}"));
        active[entity.Id] = run;
        run.Completion = Task.Run(() => ExecuteAsync(run, probe, target), CancellationToken.None);
        var dto = RunDto.From(entity);
        RunChanged?.Invoke(new RunChange(dto));
        return dto;
    }

    /// <summary>
    /// Runs in progress in the portal and the owner's: this process's in memory; with a shared
    /// database, every instance's from it (one indexed count; two starts at the same moment in
    /// two instances may both pass, a limit is not a lock).
    /// </summary>
    private async Task<(int All, int Owner)> CountRunningAsync(Viewer owner, CancellationToken cancellationToken)
    {
        if (!instance.SharesDatabase)
            return (active.Count, active.Values.Count(r => r.Entity.OwnerId == owner.Id));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var running = db.Runs.Where(r => r.Status == RunStatus.Running);
        return (await running.CountAsync(cancellationToken), await running.CountAsync(r => r.OwnerId == owner.Id, cancellationToken));
    }

    /// <summary>Asks a running run to stop; false when it is not running.</summary>
    public bool Cancel(Guid id)
    {
        if (!active.TryGetValue(id, out var run))
            return false;
        try
        {
            run.Cancellation.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // it ended meanwhile
        }
    }

    /// <summary>Pauses or resumes a running probe that can be paused (the heartbeat client).</summary>
    public void SetPaused(Guid id, bool pause)
    {
        if (!active.TryGetValue(id, out var run))
            throw new ProblemException(StatusCodes.Status409Conflict, "Run not running", $"Run {id} is not running.");
        if (run.Probe is not IPausable pausable)
            throw ProblemException.BadRequest($"A {run.Entity.Probe} run cannot be paused.");
        if (pause) pausable.Pause(); else pausable.Resume();
    }


    private async Task ExecuteAsync(ActiveRun run, IProbe probe, ProbeTarget target)
    {
        var pumping = PumpAsync(run);
        var entity = run.Entity;
        try
        {
            await probe.RunAsync(target, run.Events, run.Cancellation.Token);
            entity.Status = RunStatus.Succeeded;
        }
        catch (OperationCanceledException) when (run.Cancellation.IsCancellationRequested)
        {
            entity.Status = shutdown.IsCancellationRequested ? RunStatus.Interrupted : RunStatus.Cancelled;
            entity.Error = shutdown.IsCancellationRequested ? "The portal shut down while this run was in progress." : "Cancelled by the user.";
        }
        catch (LabException e)
        {
            entity.Status = RunStatus.Failed;
            entity.Error = e.Message;
        }
        catch (Exception e)
        {
            logger.LogError(e, "Run {RunId} ({Probe}) failed", entity.Id, entity.Probe);
            entity.Status = RunStatus.Failed;
            entity.Error = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            run.Events.Complete();
        }

        (int Count, Summary? Summary) result = (0, null);
        try
        {
            result = await pumping;
        }
        catch (Exception e)
        {
            logger.LogError(e, "The event pump of run {RunId} failed", entity.Id);
        }
        // Decided after the pump has seen every event: a probe may have finished before its excess was noticed.
        if (run.StoreError is { } storeError)
        {
            entity.Status = RunStatus.Failed;
            entity.Error = $"Its events could not be stored, so it was stopped: {storeError}. (Is the portal's disk full? /healthz says.)";
        }
        else if (run.OverLimit is { } limit)
        {
            entity.Status = RunStatus.Failed;
            entity.Error = $"The run produced more than {limit} events, the most one run may store (Netlab:Limits:EventsPerRun); it was stopped " +
                "and only the first ones kept. A peer that floods the probe (an endless listing, a chatty server) looks like this.";
        }
        try
        {
            var (count, summary) = result;
            entity.EventCount = count;
            entity.SummaryJson = summary is null ? null : RunDto.SummaryJson(summary);
            entity.EndedAt = time.GetUtcNow().UtcDateTime;
            await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
            db.Runs.Update(entity);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            // Said once per cause (StoreHealth), and kept to be written later: the run must not read "Running" until a restart.
            health.Failed(e, $"the end of run {entity.Id}");
            unsavedEnds[entity.Id] = entity;
            if (Interlocked.Exchange(ref retrying, 1) == 0)
                _ = Task.Run(RetryEndsAsync, CancellationToken.None);
        }
        finally
        {
            run.Feed.Complete();
            active.TryRemove(entity.Id, out _);
            run.Cancellation.Dispose();
        }
        // Followers in other instances stop after the last event; the end is stored by now.
        await relay.EndAsync(ScaleOut.FeedSource.Run, entity.Id);
        var dto = RunDto.From(entity);
        RunChanged?.Invoke(new RunChange(dto));
        // After its last event, through the same forwarder: a hub client sees the end last.
        run.Hub.Post("runEnded", dto);
        run.Hub.Complete();
    }

    /// <summary>Writes the ends the store refused, every <see cref="EndRetryInterval"/>, until it takes them (or the portal stops).</summary>
    private async Task RetryEndsAsync()
    {
        try
        {
            while (!unsavedEnds.IsEmpty)
            {
                await Task.Delay(EndRetryInterval, time, shutdown.Token);
                foreach (var (id, entity) in unsavedEnds)
                {
                    try
                    {
                        await using var db = await contexts.CreateDbContextAsync(shutdown.Token);
                        db.Runs.Update(entity);
                        await db.SaveChangesAsync(shutdown.Token);
                        unsavedEnds.TryRemove(id, out _);
                        health.Succeeded();
                    }
                    catch (DbUpdateConcurrencyException)
                    {
                        unsavedEnds.TryRemove(id, out _); // deleted meanwhile: nothing left to end
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        health.Failed(e, $"the end of run {id}");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down: what is left stays Running in the store and becomes Interrupted at the next start.
        }
        finally
        {
            Interlocked.Exchange(ref retrying, 0);
            if (!unsavedEnds.IsEmpty && !shutdown.IsCancellationRequested && Interlocked.Exchange(ref retrying, 1) == 0)
                _ = Task.Run(RetryEndsAsync, CancellationToken.None);
        }
    }

    /// <summary>A run's stored events with a seq below <paramref name="beforeSeq"/>, in order, a page at a time.</summary>
    private async IAsyncEnumerable<LabEvent> StoredBeforeAsync(Guid id, long beforeSeq, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const int page = 1000;
        var after = long.MinValue;
        while (true)
        {
            List<(long Seq, string Json)> rows;
            await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
                rows = [.. (await db.RunEvents.AsNoTracking().Where(e => e.RunId == id && e.Seq > after && e.Seq < beforeSeq).OrderBy(e => e.Seq).Take(page)
                    .Select(e => new { e.Seq, e.Json }).ToListAsync(cancellationToken)).Select(r => (r.Seq, r.Json))];
            foreach (var (_, json) in rows)
                if (LabJson.Deserialize(json) is { } e)
                    yield return e;
            if (rows.Count < page)
                yield break;
            after = rows[^1].Seq;
        }
    }

    /// <summary>Moves events from the probe's channel to the store, the feed and the hub group (the shared <see cref="EventPump"/>).</summary>
    private async Task<(int Count, Summary? Summary)> PumpAsync(ActiveRun run)
    {
        var destination = new RunDestination(run, settings.CurrentValue.Limits.EventsPerRun, relay);
        await pump.RunAsync(run.Events.Reader, destination);
        return (destination.Count, destination.Summary);
    }

    /// <summary>A run's rows are its RunEvents; live, its feed and its hub group get each event as stored.</summary>
    private sealed class RunDestination(ActiveRun run, int limit, ScaleOut.IEventRelay relay) : IEventDestination
    {
        public int Count { get; private set; }
        public Summary? Summary { get; private set; }

        public string Name => $"run {run.Entity.Id}";

        // Events past the run's limit are neither stored nor published: the run is stopped for them (OverLimit).
        private IReadOnlyList<StoredEvent> Kept(IReadOnlyList<StoredEvent> batch) =>
            batch.Count <= limit - Count ? batch : [.. batch.Take(Math.Max(0, limit - Count))];

        public void Store(NetlabDbContext db, IReadOnlyList<StoredEvent> batch) =>
            db.RunEvents.AddRange(Kept(batch).Select(e => new RunEventEntity { RunId = run.Entity.Id, Seq = e.Seq, Kind = e.Kind, Timestamp = e.Timestamp, Json = e.Json }));

        public void StoreFailed(Exception e)
        {
            if (run.StoreError is not null) return;
            run.StoreError = (e.InnerException ?? e).Message;
            try { run.Cancellation.Cancel(); } catch (ObjectDisposedException) { }
        }

        public async Task PublishAsync(IReadOnlyList<StoredEvent> all)
        {
            var batch = Kept(all);
            Count += batch.Count;
            // Past the limit the probe is stopped: the store and the portal's memory stay bounded.
            if (batch.Count < all.Count && run.OverLimit is null)
            {
                run.OverLimit = limit;
                try { await run.Cancellation.CancelAsync(); } catch (ObjectDisposedException) { }
            }
            Summary = batch.Select(e => e.Event).OfType<Summary>().LastOrDefault() ?? Summary;
            run.Feed.Publish([.. batch.Select(e => e.Event)]);
            // One "events" message per batch, the stored JSON as is: hub subscribers get exactly what the API returns.
            run.Hub.PostEvents([.. batch.Select(e => e.Json)]);
            // Followers in other instances (a no-op in one process).
            await relay.PublishAsync(ScaleOut.FeedSource.Run, run.Entity.Id, batch);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>On shutdown, runs in progress end as Interrupted, with their events stored.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await shutdown.CancelAsync();
        await Task.WhenAll(active.Values.Select(r => r.Completion)).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private sealed record ActiveRun(RunEntity Entity, IProbe Probe, EventStream Events, EventFeed Feed, CancellationTokenSource Cancellation, HubForwarder Hub)
    {
        public Task Completion { get; set; } = Task.CompletedTask;

        /// <summary>Set when the run emitted more events than it may store: it is being stopped for that.</summary>
        public int? OverLimit { get; set; }

        /// <summary>Set when the store refused its events (a full disk): it is being stopped for that.</summary>
        public string? StoreError { get; set; }
    }
}
