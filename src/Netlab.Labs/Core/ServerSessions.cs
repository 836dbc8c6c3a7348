namespace Netlab.Labs.Core;

/// <summary>
/// What a Netlab server stored about the sessions it served, for graders of students' clients:
/// the student points their client at a server started for them, and the grader reads what that
/// server saw. The host implements it over its server store; it answers only servers that the
/// run's owner may see, so a grader cannot read someone else's session.
/// </summary>
public interface IServerSessions
{
    /// <summary>The server's stored events in order (running or stopped); null when there is no such server the run's owner may see.</summary>
    Task<ServerSession?> ReadAsync(Guid serverId, CancellationToken cancellationToken);
}

/// <summary>A lab server's record and everything it reported, in order.</summary>
public sealed record ServerSession(Guid Id, string Lab, bool Running, IReadOnlyList<LabEvent> Events);

/// <summary>How a client grader reads the stored session of the Netlab server the student's client talked to.</summary>
public static class GradedSession
{
    /// <summary>Reading a stored session may wait this long at most (the store is local; this only guards against a hang).</summary>
    public static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The session of server <paramref name="serverId"/>, which must be a server of <paramref name="lab"/> the run's owner may
    /// see; a LabException saying what is missing otherwise. <paramref name="what"/> names the server in messages ("FTP server").
    /// </summary>
    public static async Task<ServerSession> ReadAsync(LabEnvironment environment, string? serverId, string lab, string what, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(serverId, out var id))
            throw new LabException($"This grader reads a Netlab {what}'s session: give serverId (an assignment sets it when you submit).");
        if (environment.Sessions is not { } sessions)
            throw new LabException("Stored server sessions are not available here.");
        ServerSession? session;
        using (var deadline = Deadline.After(ReadLimit, cancellationToken, environment.Time))
            session = await sessions.ReadAsync(id, deadline.Token);
        return session is not null && session.Lab == lab ? session : throw new LabException($"There is no {what} {id} of yours to read.");
    }
}
