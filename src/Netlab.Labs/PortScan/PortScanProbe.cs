using System.Globalization;
using System.Net.Sockets;
using Netlab.Labs.Core;

namespace Netlab.Labs.PortScan;

/// <summary>
/// Handout 002's port scanner, as nmap's TCP connect scan (-sT) does it: a full connect to each
/// port, at most <c>concurrency</c> at a time, each bounded by the timeout. Accepted = open; a
/// reset (ECONNREFUSED) = closed; no answer before the timeout (the SYN dropped somewhere) =
/// filtered; an ICMP unreachable is filtered too, as nmap reports it. One event per port as it is
/// decided, then a report like nmap's.
/// </summary>
public sealed class PortScanProbe(PortScanOptions options, TimeProvider? time = null) : IProbe
{
    private readonly TimeProvider time = time ?? TimeProvider.System;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var ports = Enumerable.Range(options.FromPort, options.ToPort - options.FromPort + 1).ToList();
        if (ports.Count > PortScanOptions.MaxPorts)
            throw new LabException($"A scan covers at most {PortScanOptions.MaxPorts:N0} ports; {options.FromPort}-{options.ToPort} is {ports.Count:N0}.");
        events.Emit(new LogLine(LogSeverity.Info, $"TCP connect scan of {target.Host} ({target.Address}) ports {options.FromPort}-{options.ToPort}, {options.Concurrency} at a time, timeout {options.TimeoutMs} ms"));
        var results = new List<PortResult>();
        var started = time.GetTimestamp();
        try
        {
            await Parallel.ForEachAsync(ports, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken }, async (port, token) =>
            {
                var result = await ScanAsync(target, port, token);
                lock (results) results.Add(result);
                events.Emit(result);
            });
        }
        finally
        {
            List<PortResult> done;
            lock (results) done = [.. results];
            events.Emit(Report(target, done, ports.Count, time.GetElapsedTime(started)));
        }
    }

    private async Task<PortResult> ScanAsync(ProbeTarget target, int port, CancellationToken cancellationToken)
    {
        using var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // Close with a reset rather than linger in TIME_WAIT: a scan leaves nothing behind on either side.
        socket.LingerState = new LingerOption(true, 0);
        var begun = time.GetTimestamp();
        using var attempt = new ConnectAttempt(new System.Net.IPEndPoint(target.Address, port));
        SocketError outcome;
        // The event-args form reports a refusal as a SocketError, not an exception: on loopback a
        // closed port is refused at once, and throwing and catching per port was most of a scan's cost.
        if (!socket.ConnectAsync(attempt))
            outcome = attempt.SocketError; // decided at once (loopback): no timer armed at all
        else
        {
            using var deadline = Deadline.After(options.TimeoutMs, cancellationToken, time);
            try
            {
                outcome = await attempt.Completion.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Socket.CancelConnectAsync(attempt);
                if (deadline.Expired)
                    return new PortResult(port, PortState.Filtered, WellKnownPorts.Of(port), null);
                throw;
            }
        }
        return outcome switch
        {
            SocketError.Success => new PortResult(port, PortState.Open, WellKnownPorts.Of(port), Ms(begun)),
            SocketError.ConnectionRefused => new PortResult(port, PortState.Closed, WellKnownPorts.Of(port), Ms(begun)),
            // Host or network unreachable (an ICMP error): nmap calls that filtered too.
            _ => new PortResult(port, PortState.Filtered, WellKnownPorts.Of(port), Ms(begun)),
        };
    }

    /// <summary>One connect through <see cref="SocketAsyncEventArgs"/>, its outcome as a task when it does not finish at once.</summary>
    private sealed class ConnectAttempt : SocketAsyncEventArgs
    {
        private readonly TaskCompletionSource<SocketError> completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConnectAttempt(System.Net.EndPoint target) : base(unsafeSuppressExecutionContextFlow: true) => RemoteEndPoint = target;

        public Task<SocketError> Completion => completion.Task;

        protected override void OnCompleted(SocketAsyncEventArgs e) => completion.TrySetResult(e.SocketError);
    }

    private double Ms(long begun) => Math.Round(time.GetElapsedTime(begun).TotalMilliseconds, 3);

    /// <summary>
    /// nmap's report: the ports in the most common state are summed up in "Not shown: N closed
    /// ports" (when more than a few), the others listed in port order with their service.
    /// </summary>
    public static Summary Report(ProbeTarget target, IReadOnlyList<PortResult> results, int total, TimeSpan elapsed)
    {
        var counts = Enum.GetValues<PortState>().ToDictionary(s => s, s => results.Count(r => r.State == s));
        var common = counts.MaxBy(c => c.Value);
        var hide = common.Value > 10 ? common.Key : (PortState?)null;
        var lines = new List<string> { $"Scan report for {target.Host} ({target.Address})" };
        if (hide is { } hidden)
            lines.Add($"Not shown: {common.Value} {hidden.ToString().ToLowerInvariant()} ports");
        var shown = results.Where(r => r.State != hide).OrderBy(r => r.Port).ToList();
        if (shown.Count > 0)
        {
            lines.Add("PORT      STATE     SERVICE");
            lines.AddRange(shown.Select(r => $"{$"{r.Port}/tcp",-9} {r.State.ToString().ToLowerInvariant(),-9} {r.Service ?? "unknown"}"));
        }
        else if (hide is { } h)
            lines.Add($"All {results.Count} scanned ports are {h.ToString().ToLowerInvariant()}");
        lines.Add(string.Create(CultureInfo.InvariantCulture,
            $"{results.Count} of {total} ports scanned in {elapsed.TotalSeconds:F2} s: {counts[PortState.Open]} open, {counts[PortState.Closed]} closed, {counts[PortState.Filtered]} filtered"));
        return new Summary(lines, new Dictionary<string, double?>
        {
            ["ports"] = total,
            ["scanned"] = results.Count,
            ["open"] = counts[PortState.Open],
            ["closed"] = counts[PortState.Closed],
            ["filtered"] = counts[PortState.Filtered],
            ["durationMs"] = Math.Round(elapsed.TotalMilliseconds, 1),
        });
    }
}
