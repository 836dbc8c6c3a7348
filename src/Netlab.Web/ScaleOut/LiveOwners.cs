using StackExchange.Redis;

namespace Netlab.Web.ScaleOut;

/// <summary>
/// Which instance holds a live thing that has no database record (an FTP or TCP console): a Redis
/// key per id, written when it opens and kept a day (consoles close long before when idle). A
/// stale entry is harmless: the request goes to that instance, which answers 404 like any other
/// unknown console. One process: nothing to record.
/// </summary>
public sealed class LiveOwners(PortalInstance self, IServiceProvider services)
{
    private static readonly TimeSpan Kept = TimeSpan.FromDays(1);

    private static RedisKey Key(string kind, Guid id) => $"netlab:owner:{kind}:{id}";

    private IDatabase? Database => self.Redis is null ? null : services.GetRequiredService<RedisConnection>().Multiplexer.GetDatabase();

    /// <summary>Records that this instance holds it (sent at once, not awaited: opening never waits on Redis).</summary>
    public void Add(string kind, Guid id) =>
        Database?.StringSet(Key(kind, id), self.Id, Kept, flags: CommandFlags.FireAndForget);

    /// <summary>The other instance that holds it; null when none does (or it is here).</summary>
    public async Task<string?> RemoteOwnerAsync(string kind, Guid id)
    {
        if (Database is not { } db)
            return null;
        var owner = (string?)await db.StringGetAsync(Key(kind, id));
        return owner is not null && owner != self.Id ? owner : null;
    }
}
