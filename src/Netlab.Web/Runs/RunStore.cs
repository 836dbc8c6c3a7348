using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Web.Accounts;
using Netlab.Labs.Core;
using Netlab.Web.Hosting;

namespace Netlab.Web.Runs;

/// <summary>
/// Reads runs and their events: from the live feed while a run is going, from SQLite after.
/// Students see only their own runs; someone else's run answers 404, as if it did not exist.
/// </summary>
public sealed class RunStore(IDbContextFactory<NetlabDbContext> contexts, RunCoordinator coordinator, TimeProvider time, ScaleOut.IEventRelay relay)
{
    /// <summary>The newest runs, as the API lists them: the first page of a <see cref="PageAsync"/> query.</summary>
    public async Task<IReadOnlyList<RunDto>> ListAsync(RunQuery query, Viewer viewer, CancellationToken cancellationToken) =>
        (await PageAsync(query, viewer, cancellationToken)).Runs;

    /// <summary>One page of runs for a list: filtered, searched by target host, sorted by a column, and the total that match.</summary>
    public async Task<(IReadOnlyList<RunDto> Runs, int Total)> PageAsync(RunQuery q, Viewer viewer, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = Visible(db, viewer);
        if (q.Owner is { Length: > 0 } owner)
            query = query.Where(r => r.OwnerId == owner);
        if (!string.IsNullOrEmpty(q.Lab))
            query = query.Where(r => r.Lab == q.Lab);
        if (q.Status is { } s)
            query = query.Where(r => r.Status == s);
        if (!string.IsNullOrWhiteSpace(q.Target))
        {
            // Host names ignore case. Both providers' Contains (SQLite's instr, PostgreSQL's strpos)
            // match case, so both sides are lowered: the same answer on either database.
            var target = q.Target.Trim().ToLowerInvariant();
            query = query.Where(r => r.TargetHost.ToLower().Contains(target) || r.TargetAddress.ToLower().Contains(target));
        }
        var total = await query.CountAsync(cancellationToken);
        query = (q.SortBy, q.Descending) switch
        {
            ("lab", false) => query.OrderBy(r => r.Lab).ThenByDescending(r => r.CreatedAt),
            ("lab", true) => query.OrderByDescending(r => r.Lab).ThenByDescending(r => r.CreatedAt),
            ("probe", false) => query.OrderBy(r => r.Probe).ThenByDescending(r => r.CreatedAt),
            ("probe", true) => query.OrderByDescending(r => r.Probe).ThenByDescending(r => r.CreatedAt),
            ("status", false) => query.OrderBy(r => r.Status).ThenByDescending(r => r.CreatedAt),
            ("status", true) => query.OrderByDescending(r => r.Status).ThenByDescending(r => r.CreatedAt),
            ("target", false) => query.OrderBy(r => r.TargetHost).ThenBy(r => r.TargetPort),
            ("target", true) => query.OrderByDescending(r => r.TargetHost).ThenByDescending(r => r.TargetPort),
            ("owner", false) => query.OrderBy(r => r.OwnerName).ThenByDescending(r => r.CreatedAt),
            ("owner", true) => query.OrderByDescending(r => r.OwnerName).ThenByDescending(r => r.CreatedAt),
            (_, false) => query.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id),
            _ => query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id),
        };
        var runs = await query.Skip(q.Skip).Take(q.Take).ToListAsync(cancellationToken);
        return (runs.Select(RunDto.From).ToList(), total);
    }

    /// <summary>The runs started just before and just after this one, for previous/next links.</summary>
    public async Task<(Guid? Previous, Guid? Next)> NeighboursAsync(RunDto run, Viewer viewer, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var created = DateTime.SpecifyKind(run.CreatedAt, DateTimeKind.Unspecified);
        var runs = Visible(db, viewer);
        var previous = await runs.Where(r => r.CreatedAt < created).OrderByDescending(r => r.CreatedAt).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
        var next = await runs.Where(r => r.CreatedAt > created).OrderBy(r => r.CreatedAt).Select(r => (Guid?)r.Id).FirstOrDefaultAsync(cancellationToken);
        return (previous, next);
    }

    /// <summary>A run the viewer may see; 404 for an unknown run and for someone else's.</summary>
    public async Task<RunDto> GetAsync(Guid id, Viewer viewer, CancellationToken cancellationToken)
    {
        if (viewer.IsStaff)
            return await LoadAsync(id, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await Visible(db, viewer).FirstOrDefaultAsync(r => r.Id == id, cancellationToken) ?? throw ProblemException.NotFound("run", id);
        return coordinator.UnsavedEnd(id) ?? RunDto.From(run);
    }

    /// <summary>A run by id with no access check: for views showing a run the page already got through <see cref="GetAsync"/>.</summary>
    public async Task<RunDto> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            ?? throw ProblemException.NotFound("run", id);
        return coordinator.UnsavedEnd(id) ?? RunDto.From(run);
    }

    /// <summary>Deletes a finished run and its events (its owner or staff); 404 for someone else's, 409 while it runs or when it is graded.</summary>
    public async Task DeleteAsync(Guid id, Viewer viewer, CancellationToken cancellationToken)
    {
        var run = await GetAsync(id, viewer, cancellationToken);
        if (run.Status == RunStatus.Running || coordinator.FindLive(id) is not null)
            throw new ProblemException(StatusCodes.Status409Conflict, "Run in progress", $"Run {id} is still running; cancel it first.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A graded run is a student's grade's evidence: it stays as long as its submission.
        if (await db.Submissions.AnyAsync(s => s.RunId == id, cancellationToken))
            throw new ProblemException(StatusCodes.Status409Conflict, "Graded run", $"Run {id} is the graded run of a submission; it is kept with the grade.");
        await db.RunEvents.Where(e => e.RunId == id).ExecuteDeleteAsync(cancellationToken);
        await db.Runs.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// The runs a viewer may see: staff all; a student their own, except the graded runs of an
    /// assignment whose checks are shown only after its due date (until then the score is on the
    /// assignment page, the checks nowhere).
    /// </summary>
    private IQueryable<RunEntity> Visible(NetlabDbContext db, Viewer viewer)
    {
        var runs = db.Runs.AsNoTracking();
        if (viewer.IsStaff)
            return runs;
        var now = time.GetUtcNow().UtcDateTime;
        return runs.Where(r => r.OwnerId == viewer.Id && !db.Submissions.Any(s => s.RunId == r.Id
            && db.Assignments.Any(a => a.Id == s.AssignmentId && a.Details == DetailsVisibility.AfterDue && a.DueAt > now)));
    }

    /// <summary>The run's stored events as their JSON, in order (the caller checked access).</summary>
    public async Task<IReadOnlyList<string>> StoredEventsAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken))
            throw ProblemException.NotFound("run", id);
        return await db.RunEvents.AsNoTracking().Where(e => e.RunId == id).OrderBy(e => e.Seq).Select(e => e.Json).ToListAsync(cancellationToken);
    }

    private async IAsyncEnumerable<LabEvent> StoredAfterAsync(Guid id, long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var json in await StoredEventsAsync(id, cancellationToken))
            if (LabJson.Deserialize(json) is { } e && e.Seq > afterSeq)
                yield return e;
    }

    /// <summary>
    /// Every event of a run in order (the caller checked access): while it runs, what it has emitted so far and then each
    /// new event live until it ends; after it ended (or after a restart), what was stored.
    /// </summary>
    public async IAsyncEnumerable<LabEvent> FollowAsync(Guid id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The feed is dropped only after every event and the final status are stored,
        // so "not live" means the store already has everything.
        if (coordinator.FindLive(id) is { } feed)
        {
            await foreach (var e in feed.FollowAsync(cancellationToken))
                yield return e;
            yield break;
        }
        // Running in another instance: its relay, with the store for what came before.
        if (relay.Enabled && (await LoadAsync(id, cancellationToken)).Status == RunStatus.Running)
        {
            await foreach (var e in ScaleOut.RemoteFollow.FollowAsync(relay, ScaleOut.FeedSource.Run, id, 0,
                async ct => (await LoadAsync(id, ct)).Status == RunStatus.Running, (after, ct) => StoredAfterAsync(id, after, ct), cancellationToken))
                yield return e;
            yield break;
        }
        foreach (var json in await StoredEventsAsync(id, cancellationToken))
            if (LabJson.Deserialize(json) is { } e)
                yield return e;
    }
}
