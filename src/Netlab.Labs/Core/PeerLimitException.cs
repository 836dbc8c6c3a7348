namespace Netlab.Labs.Core;

/// <summary>
/// A peer went past one of a probe's bounds (bytes of a body, lines of a reply, stray datagrams,
/// the run's time): the run ends Failed with a message that names the limit and, when a user can
/// change it, the option that sets it. A hostile or broken peer must cost a bounded amount of
/// memory, time and events, and the user must be able to tell that from a slow or quiet peer.
/// </summary>
/// <param name="what">What happened, as a sentence without its end: "The server sent more than 100 header lines".</param>
/// <param name="option">The option that sets the limit, as scripts name it ("maxBodyBytes"); null for a fixed bound.</param>
public sealed class PeerLimitException(string what, string? option = null)
    : LabException(option is null ? $"{what}, past this probe's fixed limit; the run was stopped." : $"{what}, past this run's limit ({option}); the run was stopped.")
{
    public string? Option { get; } = option;
}

/// <summary>
/// Counts things a peer makes a probe report that it did not ask for (stray datagrams, duplicates,
/// ignored lines): each is worth an event while there are few, and past the limit the run ends
/// with <see cref="PeerLimitException"/> rather than turn a flood into an event per packet.
/// </summary>
public sealed class PeerBudget(string what, int limit, string? option = null)
{
    private int used;

    public int Used => used;

    public int Limit => limit;

    /// <summary>Counts one more; throws once the count goes past the limit.</summary>
    public void Spend()
    {
        if (Interlocked.Increment(ref used) > limit)
            throw new PeerLimitException($"The peer sent more than {limit} {what}", option);
    }
}
