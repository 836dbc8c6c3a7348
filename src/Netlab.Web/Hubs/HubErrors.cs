using Microsoft.AspNetCore.SignalR;

namespace Netlab.Web.Hubs;

/// <summary>
/// How the hub logs what goes wrong in its methods. A refused call (someone else's or an unknown
/// run, a HubException the caller is told about) is a user's mistake, not the portal's: one line,
/// at most one a second (with how many were left out), so a client joining in a loop cannot fill
/// the log. Anything else is a fault, logged with its stack. The framework's own per-call error
/// log is turned off in appsettings.json (Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher).
/// </summary>
public sealed class HubErrors(ILogger<HubErrors> logger, TimeProvider time) : IHubFilter
{
    private readonly Lock gate = new();
    private DateTimeOffset lastWarning = DateTimeOffset.MinValue;
    private int leftOut;

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocation);
        }
        catch (HubException e)
        {
            Refused(invocation.HubMethodName, e.Message);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Hub method {Method} failed", invocation.HubMethodName);
            throw;
        }
    }

    private void Refused(string method, string reason)
    {
        int skipped;
        lock (gate)
        {
            var now = time.GetUtcNow();
            if (now - lastWarning < TimeSpan.FromSeconds(1))
            {
                leftOut++;
                return;
            }
            lastWarning = now;
            skipped = leftOut;
            leftOut = 0;
        }
        logger.LogWarning("Hub call {Method} refused: {Reason}{LeftOut}", method, reason, skipped > 0 ? $" ({skipped} more refusals in the last second not logged)" : "");
    }
}
