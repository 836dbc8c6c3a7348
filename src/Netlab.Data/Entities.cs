namespace Netlab.Data;

public enum RunStatus { Running, Succeeded, Failed, Cancelled, Interrupted }

/// <summary>One probe run: what was asked, how it ended, and its summary.</summary>
public sealed class RunEntity
{
    public Guid Id { get; set; }
    public required string Lab { get; set; }
    public required string Probe { get; set; }
    public required string TargetHost { get; set; }
    public required string TargetAddress { get; set; }
    public int TargetPort { get; set; }
    /// <summary>The validated options as JSON (camelCase), exactly as the probe ran with them.</summary>
    public required string OptionsJson { get; set; }
    public RunStatus Status { get; set; }
    /// <summary>Why a run failed or was interrupted, in words a user can act on.</summary>
    public string? Error { get; set; }
    /// <summary>The run's final Summary event as JSON, when it produced one.</summary>
    public string? SummaryJson { get; set; }
    public int EventCount { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    /// <summary>The user who started the run; null for runs from before accounts, or once that user is deleted.</summary>
    public string? OwnerId { get; set; }
    /// <summary>The owner's name when the run started, kept after the account is deleted ("former owner").</summary>
    public string? OwnerName { get; set; }
    /// <summary>The portal instance that runs it (<see cref="InstanceEntity"/>); null for runs from before there were instances.</summary>
    public string? InstanceId { get; set; }
}

/// <summary>One event of a run, stored as the same JSON the API and the hub send.</summary>
public sealed class RunEventEntity
{
    public Guid RunId { get; set; }
    public long Seq { get; set; }
    public required string Kind { get; set; }
    public DateTime Timestamp { get; set; }
    public required string Json { get; set; }
}

/// <summary>
/// Where a lab server's life stands in the store. Interrupted: the process that ran it was killed,
/// so no one recorded its stop (found and marked at the next start).
/// </summary>
public enum ServerStatus { Starting, Running, Stopping, Stopped, Faulted, Interrupted }

/// <summary>One lab server the portal started: how it was configured, where it listened, how it ended.</summary>
public sealed class ServerEntity
{
    public Guid Id { get; set; }
    public required string Lab { get; set; }
    /// <summary>Who started it; null until accounts exist (and for servers started before).</summary>
    public string? OwnerId { get; set; }
    public string? OwnerName { get; set; }
    /// <summary>The validated options as JSON, secrets already masked (OptionField.Redacted).</summary>
    public required string OptionsJson { get; set; }
    public required string Address { get; set; }
    public int Port { get; set; }
    public ServerStatus State { get; set; }
    public string? FaultReason { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime? StoppedAt { get; set; }
    /// <summary>Events stored so far.</summary>
    public long EventCount { get; set; }
    /// <summary>Events the server emitted that were not stored (over the per-server limit, or emitted faster than they were read).</summary>
    public long DroppedEvents { get; set; }
    /// <summary>The portal instance it lives in (it binds that instance's ports); null for servers from before there were instances.</summary>
    public string? InstanceId { get; set; }
}

/// <summary>One event a lab server reported, stored as the same JSON as a run's events.</summary>
public sealed class ServerEventEntity
{
    public Guid ServerId { get; set; }
    public long Seq { get; set; }
    public required string Kind { get; set; }
    public DateTime Timestamp { get; set; }
    public required string Json { get; set; }
}

/// <summary>
/// One running portal process, for several instances on a shared database: it renews its lease
/// every few seconds; one whose lease has expired is dead, and the others mark its runs and servers Interrupted.
/// </summary>
public sealed class InstanceEntity
{
    public required string Id { get; set; }
    /// <summary>Where it listens, as it advertises itself (for people and logs; commands go over Redis).</summary>
    public required string Address { get; set; }
    public DateTime StartedAt { get; set; }
    public DateTime RenewedAt { get; set; }
}
