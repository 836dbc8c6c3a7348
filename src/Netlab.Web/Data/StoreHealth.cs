using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Netlab.Web.Data;

/// <summary>
/// Whether the store takes writes: the event pump reports each failed and each good write. A
/// failure logs once per cause (the same reason again is counted, not logged, for a minute), and
/// /healthz says Unhealthy until a write succeeds again, so a full disk is seen by whoever watches.
/// </summary>
public sealed class StoreHealth(TimeProvider time, ILogger<StoreHealth> logger) : IHealthCheck
{
    private readonly Lock gate = new();
    private string? failure;
    private string? lastLogged;
    private DateTimeOffset lastLoggedAt;
    private int repeats;

    public void Succeeded()
    {
        lock (gate)
            failure = null;
    }

    public void Failed(Exception e, string source)
    {
        var reason = (e.InnerException ?? e).Message;
        lock (gate)
        {
            failure = reason;
            var now = time.GetUtcNow();
            if (reason == lastLogged && now - lastLoggedAt < TimeSpan.FromMinutes(1))
            {
                repeats++;
                return;
            }
            logger.LogError(e, "The store refused a write ({Source}){Repeats}: {Reason}", source,
                repeats > 0 ? $", after {repeats} more like the last one" : "", reason);
            (lastLogged, lastLoggedAt, repeats) = (reason, now, 0);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (gate)
            return Task.FromResult(failure is null
                ? HealthCheckResult.Healthy("The store takes writes.")
                : HealthCheckResult.Unhealthy($"The store refused the last write: {failure}"));
    }
}
