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
