using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Time;

/// <summary>
/// The handout 001 Exercise 9-1 client, and its bonus done the safe way: sends <c>reqtime</c>
/// count times over one connection (a new one if the server closes after answering, as simple
/// servers do), and for each answer estimates the offset of the server's clock from ours as
/// Cristian's algorithm does: the server read its clock somewhere within the round trip, so
/// server time + RTT/2 − local receive time, give or take RTT/2. The lowest-RTT estimate is the
/// tightest; the summary says what correcting the local clock by it would mean, and never does.
/// </summary>
public sealed class TimeSyncProbe(TimeSyncOptions options, TimeProvider? time = null) : IProbe
{
    /// <summary>Lines read per answer at most (ours is 2): a server that chatters cannot keep us reading.</summary>
    private const int MaxLinesPerAnswer = 8;

    private readonly TimeProvider time = time ?? TimeProvider.System;

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        events.Emit(new LogLine(LogSeverity.Info, $"Asking {target} for its time {options.Count} times (reqtime), timeout {options.TimeoutMs} ms"));
        var estimates = new List<TimeEstimate>();
        Connection? connection = null;
        try
        {
            for (var sequence = 1; sequence <= options.Count; sequence++)
            {
                var started = time.GetTimestamp();
                connection ??= await Connection.OpenAsync(target, options.TimeoutMs, time, cancellationToken);
                var estimate = await connection.AskAsync(sequence, options.TimeoutMs, cancellationToken);
                if (estimate.Error is not null)
                {
                    connection.Dispose();
                    connection = null;
                }
                else if (connection.Closed)
                {
                    connection.Dispose();
                    connection = null;
                }
                estimates.Add(estimate);
                events.Emit(estimate);
                if (sequence < options.Count && options.IntervalMs > 0)
                {
                    var wait = TimeSpan.FromMilliseconds(options.IntervalMs) - time.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                        await Task.Delay(wait, time, cancellationToken);
                }
            }
        }
        finally
        {
            connection?.Dispose();
            events.Emit(Summarize(estimates, time.GetUtcNow()));
        }
    }

    /// <summary>Best (lowest-RTT) estimate and what correcting the clock by it would be.</summary>
    public static Summary Summarize(IReadOnlyList<TimeEstimate> estimates, DateTimeOffset now)
    {
        var good = estimates.Where(e => e.OffsetMs is not null).ToList();
        var lines = new List<string> { $"{estimates.Count} requests, {good.Count} answered" };
        if (good.Count == 0)
            return new Summary(lines, new Dictionary<string, double?> { ["answered"] = 0, ["requests"] = estimates.Count, ["offsetMs"] = null, ["errorMs"] = null, ["rttMs"] = null });
        var best = good.MinBy(e => e.RttMs!.Value)!;
        var offset = best.OffsetMs!.Value;
        lines.Add(F($"best estimate (request {best.Sequence}, lowest RTT {best.RttMs:F3} ms): server clock is {offset:+0.000;-0.000;0.000} ms ± {best.ErrorMs:F3} ms from ours"));
        lines.Add(F($"rtt min/avg/max = {good.Min(e => e.RttMs!.Value):F3}/{good.Average(e => e.RttMs!.Value):F3}/{good.Max(e => e.RttMs!.Value):F3} ms"));
        lines.Add(Math.Abs(offset) <= best.ErrorMs
            ? "correction: none needed, the clocks agree within the error bound"
            : F($"correction (not applied): set the local clock {(offset > 0 ? "forward" : "back")} by {Math.Abs(offset):F3} ms, to {TimeMessage.Iso(now.AddTicks((long)(offset * TimeSpan.TicksPerMillisecond)))} now"));
        lines.Add("Netlab never changes this machine's clock (that needs root: date -s, or better an NTP daemon).");
        return new Summary(lines, new Dictionary<string, double?>
        {
            ["requests"] = estimates.Count,
            ["answered"] = good.Count,
            ["offsetMs"] = Math.Round(offset, 3),
            ["errorMs"] = Math.Round(best.ErrorMs!.Value, 3),
            ["rttMs"] = Math.Round(best.RttMs!.Value, 3),
            ["bestSequence"] = best.Sequence,
        });
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>One TCP connection to the time server and its line reader.</summary>
    private sealed class Connection(Socket socket, TimeProvider time) : IDisposable
    {
        private readonly LineReader reader = new(new NetworkStream(socket, ownsSocket: false), 4096);

        /// <summary>The server closed after its answer.</summary>
        public bool Closed { get; private set; }

        public static async Task<Connection> OpenAsync(ProbeTarget target, int timeoutMs, TimeProvider time, CancellationToken cancellationToken)
        {
            var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var deadline = Deadline.After(timeoutMs, cancellationToken, time);
            try
            {
                await socket.ConnectAsync(target.EndPoint, deadline.Token);
                return new Connection(socket, time);
            }
            catch (Exception e) when (e is SocketException || (e is OperationCanceledException && deadline.Expired))
            {
                socket.Dispose();
                throw new LabException(e is SocketException s ? $"Cannot connect to {target}: {s.Message}" : $"No connection to {target} within {timeoutMs} ms");
            }
        }

        public async Task<TimeEstimate> AskAsync(int sequence, int timeoutMs, CancellationToken cancellationToken)
        {
            var sentUtc = time.GetUtcNow();
            var sent = time.GetTimestamp();
            using var deadline = Deadline.After(timeoutMs, cancellationToken, time);
            try
            {
                await socket.SendAsync(Encoding.ASCII.GetBytes(TimeMessage.Request + "\r\n"), SocketFlags.None, deadline.Token);
                (DateTimeOffset Time, TimeSpan Rtt, string Line)? coarse = null;
                for (var i = 0; i < MaxLinesPerAnswer; i++)
                {
                    var line = await reader.ReadLineAsync(TimeMessage.MaxLine, deadline.Token, stopAtLimit: true);
                    var rtt = time.GetElapsedTime(sent);
                    if (line is null)
                    {
                        Closed = true;
                        return coarse is { } c ? Estimate(sequence, sentUtc, c.Time, c.Rtt, c.Line, precise: false)
                            : new TimeEstimate(sequence, null, null, null, null, "the server closed the connection without a time");
                    }
                    if (line.Value.TooLong)
                        throw new PeerLimitException($"The server sent a line longer than {TimeMessage.MaxLine} bytes in answer to {TimeMessage.Request} {sequence}");
                    var text = line.Value.Text;
                    if (text.StartsWith("ERR", StringComparison.Ordinal))
                        return new TimeEstimate(sequence, null, rtt.TotalMilliseconds, null, null, $"the server answered: {Printable.Ascii(line.Value.Bytes, 120)}");
                    if (!TimeMessage.TryParseTime(text, out var serverTime, out var precise))
                        continue;
                    if (precise)
                        return Estimate(sequence, sentUtc, serverTime, rtt, text, precise: true);
                    // A whole-second line (%c): ours sends an ISO line right after it, a simple server may not.
                    coarse ??= (serverTime, rtt, text);
                }
                if (coarse is { } last)
                    return Estimate(sequence, sentUtc, last.Time, last.Rtt, last.Line, precise: false);
                // A server that streams lines without a time would keep the run reading: it ends here.
                throw new PeerLimitException($"The server sent {MaxLinesPerAnswer} lines in answer to {TimeMessage.Request} {sequence} without a time in them");
            }
            catch (OperationCanceledException) when (deadline.Expired)
            {
                return new TimeEstimate(sequence, null, null, null, null, $"no answer within {timeoutMs} ms");
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                return new TimeEstimate(sequence, null, null, null, null, $"connection failed: {e.Message}");
            }
        }

        /// <summary>Cristian: offset = T_server + RTT/2 − T_local_receive, error ±RTT/2 (plus half a second for a whole-second time).</summary>
        private static TimeEstimate Estimate(int sequence, DateTimeOffset sentUtc, DateTimeOffset serverTime, TimeSpan rtt, string line, bool precise)
        {
            // The receive instant from the send instant and the monotonic RTT, so a clock step mid-request cannot skew it.
            var receivedUtc = sentUtc + rtt;
            var offset = (serverTime + rtt / 2 - receivedUtc).TotalMilliseconds;
            var error = rtt.TotalMilliseconds / 2 + (precise ? 0 : 500);
            return new TimeEstimate(sequence, line.Trim(), Math.Round(rtt.TotalMilliseconds, 3), Math.Round(offset, 3), Math.Round(error, 3), null);
        }

        public void Dispose() => socket.Dispose();
    }
}
