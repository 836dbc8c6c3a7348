using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;

namespace Netlab.Web.Servers;

/// <summary>Which of a server's events a view follows.</summary>
public enum ServerEvents
{
    /// <summary>While it runs, the live feed's recent events and each new one; once stopped, the last stored ones.</summary>
    Recent,
    /// <summary>Every event from the first: the store, then live without a gap or a duplicate.</summary>
    All,
}

/// <summary>
/// Reads lab servers and their events: a running server as <see cref="ServerManager"/> has it,
/// a stopped one (or one from before a restart) from SQLite.
/// </summary>
public sealed class ServerStore(IDbContextFactory<NetlabDbContext> contexts, ServerManager manager, ScaleOut.IEventRelay relay)
{
    /// <summary>Most events one page returns.</summary>
    public const int MaxPage = 5000;

    /// <summary>What a page returns when no limit is given.</summary>
    public const int DefaultPage = 1000;

    /// <summary>How many stored events the <see cref="ServerEvents.Recent"/> view of a stopped server shows.</summary>
    private const int RecentStored = 500;

    /// <summary>A server the viewer may see (their own, or any for staff); 404 for an unknown server and for someone else's.</summary>
    public async Task<ServerDto> GetAsync(Guid id, Viewer viewer, CancellationToken cancellationToken)
    {
        var server = await LoadAsync(id, cancellationToken);
        return viewer.CanSee(server.OwnerId) ? server : throw ProblemException.NotFound("server", id);
    }

    /// <summary>A server by id with no access check: for views of a server the page already got through <see cref="GetAsync"/>.</summary>
    public async Task<ServerDto> LoadAsync(Guid id, CancellationToken cancellationToken) =>
        manager.TryGet(id) ?? await FindStoredAsync(id, cancellationToken) ?? throw ProblemException.NotFound("server", id);

    /// <summary>
    /// The running servers the viewer may see, oldest first: this process's; with several
    /// instances, every instance's (from the store, this one's as they are now).
    /// </summary>
    public async Task<IReadOnlyList<ServerDto>> RunningAsync(Viewer viewer, CancellationToken cancellationToken)
    {
        if (!relay.Enabled)
            return manager.List(viewer);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Servers.AsNoTracking().Where(s => s.StoppedAt == null);
        if (!viewer.IsStaff)
            query = query.Where(s => s.OwnerId == viewer.Id);
        var stored = await query.OrderBy(s => s.StartedAt).ThenBy(s => s.Id).ToListAsync(cancellationToken);
        return [.. stored.Select(s => manager.TryGet(s.Id) ?? ServerDto.From(s))];
    }

    /// <summary>Stored servers the viewer may see, newest first, running ones as they are now.</summary>
    public async Task<IReadOnlyList<ServerDto>> ListAsync(string? lab, ServerStatus? state, int limit, Viewer viewer, CancellationToken cancellationToken, string? owner = null)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Servers.AsNoTracking();
        if (!viewer.IsStaff)
            query = query.Where(s => s.OwnerId == viewer.Id);
        if (owner is { Length: > 0 })
            query = query.Where(s => s.OwnerId == owner);
        if (!string.IsNullOrEmpty(lab))
            query = query.Where(s => s.Lab == lab);
        if (state is { } st)
            query = query.Where(s => s.State == st);
        var stored = await query.OrderByDescending(s => s.StartedAt).ThenByDescending(s => s.Id).Take(limit).ToListAsync(cancellationToken);
        return [.. stored.Select(s => manager.TryGet(s.Id) ?? ServerDto.From(s))];
    }

    /// <summary>
    /// The server of a lab that listened on an address and port at a moment (the one a run targeted),
    /// from the stored records; null when none of this portal's did. A server bound to any address counts.
    /// </summary>
    public async Task<ServerDto?> FindServingAsync(string lab, string address, int port, DateTime at, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var when = DateTime.SpecifyKind(at, DateTimeKind.Unspecified);
        var found = await db.Servers.AsNoTracking()
            .Where(s => s.Lab == lab && s.Port == port && (s.Address == address || s.Address == "0.0.0.0" || s.Address == "::")
                && s.StartedAt <= when && (s.StoppedAt == null || s.StoppedAt >= when))
            .OrderByDescending(s => s.StartedAt).FirstOrDefaultAsync(cancellationToken);
        return found is null ? null : manager.TryGet(found.Id) ?? ServerDto.From(found);
    }

    /// <summary>Stored events with seq above <paramref name="afterSeq"/> (and below <paramref name="beforeSeq"/>), in order; 404 for an unknown server.</summary>
    public async Task<IReadOnlyList<string>> EventsJsonAsync(Guid id, long afterSeq, int limit, CancellationToken cancellationToken, long beforeSeq = long.MaxValue)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (manager.TryGet(id) is null && !await db.Servers.AnyAsync(s => s.Id == id, cancellationToken))
            throw ProblemException.NotFound("server", id);
        return await db.ServerEvents.AsNoTracking()
            .Where(e => e.ServerId == id && e.Seq > afterSeq && e.Seq < beforeSeq)
            .OrderBy(e => e.Seq).Take(limit).Select(e => e.Json).ToListAsync(cancellationToken);
    }

    /// <summary>One page of stored events by position (for paged tables), and how many are stored.</summary>
    public async Task<(IReadOnlyList<LabEvent> Events, int Total)> PageAsync(Guid id, int skip, int take, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.ServerEvents.AsNoTracking().Where(e => e.ServerId == id);
        var total = await query.CountAsync(cancellationToken);
        var json = await query.OrderBy(e => e.Seq).Skip(skip).Take(take).Select(e => e.Json).ToListAsync(cancellationToken);
        return (Read(json), total);
    }

    /// <summary>
    /// A server's events for a view. <see cref="ServerEvents.All"/> gives each event once, in
    /// order: the pump stores a batch before it publishes it, so everything older than the feed's
    /// oldest kept event is in the store; events both stored and seen live are told apart by seq.
    /// </summary>
    /// <param name="live">False: stop at the events there are now (a grader's snapshot) instead of following a running server.</param>
    public async IAsyncEnumerable<LabEvent> FollowAsync(Guid id, ServerEvents which, [EnumeratorCancellation] CancellationToken cancellationToken = default, long afterSeq = 0,
        bool live = true)
    {
        var feed = manager.FindFeed(id);
        if (feed is null && relay.Enabled && live && (await LoadAsync(id, cancellationToken)) is { IsLive: true } remote)
        {
            // Running in another instance: its relay, with the store for what came before.
            if (which == ServerEvents.Recent)
                afterSeq = Math.Max(afterSeq, remote.EventCount - RecentStored);
            await foreach (var e in ScaleOut.RemoteFollow.FollowAsync(relay, ScaleOut.FeedSource.Server, id, afterSeq,
                async ct => (await LoadAsync(id, ct)).IsLive, (after, ct) => StoredAsync(id, after, long.MaxValue, ct), cancellationToken))
                yield return e;
            yield break;
        }
        if (feed is null)
        {
            // Stopped: the record's end is written after the pump stored everything.
            if (which == ServerEvents.Recent)
            {
                var total = (await LoadAsync(id, cancellationToken)).EventCount;
                afterSeq = Math.Max(afterSeq, total - RecentStored);
            }
            await foreach (var e in StoredAsync(id, afterSeq, long.MaxValue, cancellationToken))
                yield return e;
            yield break;
        }

        using var follower = feed.Subscribe();
        var last = afterSeq;
        if (which == ServerEvents.All)
        {
            var firstLive = follower.Snapshot.Count > 0 ? follower.Snapshot[0].Seq : long.MaxValue;
            await foreach (var e in StoredAsync(id, afterSeq, firstLive, cancellationToken))
            {
                last = e.Seq;
                yield return e;
            }
        }
        foreach (var e in follower.Snapshot)
            if (e.Seq > last)
            {
                last = e.Seq;
                yield return e;
            }
        if (follower.Live is null || !live)
            yield break;
        await foreach (var e in follower.Live.ReadAllAsync(cancellationToken))
            if (e.Seq > last)
            {
                last = e.Seq;
                yield return e;
            }
    }

    private async IAsyncEnumerable<LabEvent> StoredAsync(Guid id, long afterSeq, long beforeSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = Read(await EventsJsonAsync(id, afterSeq, DefaultPage, cancellationToken, beforeSeq));
            foreach (var e in page)
                yield return e;
            if (page.Count < DefaultPage)
                yield break;
            afterSeq = page[^1].Seq;
        }
    }

    private static List<LabEvent> Read(IEnumerable<string> json) => [.. json.Select(LabJson.Deserialize).OfType<LabEvent>()];

    private async Task<ServerDto?> FindStoredAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.Servers.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        return stored is null ? null : ServerDto.From(stored);
    }
}
