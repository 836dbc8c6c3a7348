using System.Net;

namespace Netlab.Labs.Core;

/// <summary>Where a probe is pointed: the name the user typed and the address it resolved to.</summary>
public sealed record ProbeTarget(string Host, IPAddress Address, int Port)
{
    public IPEndPoint EndPoint => new(Address, Port);

    public override string ToString() => Host == Address.ToString() ? $"{Host}:{Port}" : $"{Host} ({Address}):{Port}";
}

/// <summary>
/// A client run: configured by its options, pointed at a target, runs to completion or
/// cancellation and reports everything as events (ending with a <see cref="Summary"/>).
/// Throwing <see cref="LabException"/> means the run failed for a reason the user can act on.
/// </summary>
public interface IProbe
{
    Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken);
}
