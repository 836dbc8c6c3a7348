using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Netlab.Labs.Core;

namespace Netlab.Labs.Time;

public sealed record TimeServerGraderOptions
{
    [Display(Name = "Timeout (ms)", GroupName = "Advanced")]
    [Range(100, 60_000), Description("How long to wait for each answer, in ms.")]
    public int TimeoutMs { get; init; } = 3000;

    [Display(Name = "Tolerance (ms)")]
    [Range(0, 3_600_000), Description("How far the server's time may be from the grader's clock, in ms (a %c answer gets 1 s more: it has whole seconds).")]
    public int ToleranceMs { get; init; } = 5000;
}

/// <summary>
/// Grades a student's TCP time server (handout 001, Exercise 9-1): <c>reqtime</c> answered with a
/// line that parses as a date and time (%c or ISO 8601) near the grader's clock, an unknown command
/// answered with a line and the connection still served, <c>reqtime</c> sent in two pieces, and
/// three clients at once. Each check opens its own connections.
/// </summary>
public sealed class TimeServerGrader(TimeServerGraderOptions options, LabEnvironment environment) : IProbe
{
    /// <summary>Pause between the pieces of a split command, so they reach the server in separate recv()s.</summary>
    private static readonly TimeSpan PieceGap = TimeSpan.FromMilliseconds(200);

    private TimeSpan Limit => TimeSpan.FromMilliseconds(options.TimeoutMs * 4L);

    public async Task RunAsync(ProbeTarget target, IEventSink events, CancellationToken cancellationToken)
    {
        var checks = new CheckRunner(events, environment.Time);
        var tolerance = options.ToleranceMs.ToString(CultureInfo.InvariantCulture);
        events.Emit(new LogLine(LogSeverity.Info, $"Grading the time server at {target}: tolerance {tolerance} ms."));

        await checks.RunAsync("Correct time", 2, $"\"reqtime\\n\" answered with a line that parses as a date and time (strftime(\"%c\") or ISO 8601 UTC) within {tolerance} ms of the grader's clock", Limit, async ct =>
        {
            await using var c = await Connection.OpenAsync(target, ct);
            var before = environment.Time.GetUtcNow();
            await c.SendAsync("reqtime\n", ct);
            var (time, precise, line) = await ReadTimeAsync(c, "reqtime", ct);
            var after = environment.Time.GetUtcNow();
            var mid = before + (after - before) / 2;
            // A %c line has whole seconds; the round trip bounds when the server read its clock.
            var allowed = options.ToleranceMs + (precise ? 0 : 1000) + (after - before).TotalMilliseconds / 2;
            var off = (time - mid).TotalMilliseconds;
            return Math.Abs(off) <= allowed ? (true, $"\"{line}\": {Signed(off)} ms from the grader's clock")
                : (false, $"\"{line}\" is {Signed(off)} ms from the grader's clock (more than {tolerance} ms): send the current time in UTC (time.gmtime(), datetime.now(timezone.utc)), not a fixed or shifted clock");
        }, cancellationToken);

        await checks.RunAsync("Unknown command", 1, "\"hello\\n\" answered with a line (an error), then \"reqtime\\n\" on the same connection answered with the time", Limit, async ct =>
        {
            await using var c = await Connection.OpenAsync(target, ct);
            await c.SendAsync("hello\n", ct);
            var answer = await c.ReadLineAsync(options.TimeoutMs, environment.Time, ct)
                ?? throw new LabException("the server closed the connection after the unknown command \"hello\" without answering: answer it with an error line and keep serving");
            if (TimeMessage.TryParseTime(answer, out _, out _))
                return (false, $"the unknown command \"hello\" got the time \"{answer}\": answer only reqtime with the time, anything else with an error line");
            await c.SendAsync("reqtime\n", ct);
            string line;
            try
            {
                (_, _, line) = await ReadTimeAsync(c, "reqtime after an unknown command", ct);
            }
            catch (LabException e)
            {
                return (false, $"\"hello\" got \"{answer}\", then: {e.Message}. After an unknown command keep the connection open and go on reading commands");
            }
            return (true, $"\"{answer}\", then \"{line}\"");
        }, cancellationToken);

        await checks.RunAsync("reqtime in two pieces", 1, "\"req\" and, after a pause, \"time\\n\" answered once with the time (a command may arrive over several recv() calls)", Limit, async ct =>
        {
            await using var c = await Connection.OpenAsync(target, ct);
            await c.SendAsync("req", ct);
            await Task.Delay(PieceGap, environment.Time, ct);
            await c.SendAsync("time\n", ct);
            var first = await c.ReadLineAsync(options.TimeoutMs, environment.Time, ct)
                ?? throw new LabException("the server closed the connection after \"req\" + \"time\\n\": read until the line end (\"\\n\") before acting on a command");
            if (!TimeMessage.TryParseTime(first, out _, out _))
                return (false, $"the first answer was \"{first}\": the server took the first recv() (\"req\") as a whole command. Keep what recv() returned until a \"\\n\" arrives, then act on the line");
            return (true, $"\"{first}\"");
        }, cancellationToken);

        await checks.RunAsync("Three clients at once", 2, "three connections open together, reqtime sent on the last one first, each answered with the time", Limit * 3, async ct =>
        {
            var clients = new List<Connection>();
            try
            {
                for (var i = 0; i < 3; i++)
                    clients.Add(await Connection.OpenAsync(target, ct));
                for (var i = 2; i >= 0; i--)
                {
                    await clients[i].SendAsync("reqtime\n", ct);
                    try
                    {
                        await ReadTimeAsync(clients[i], $"reqtime from client {i + 1} of 3", ct);
                    }
                    catch (LabException e) when (i > 0)
                    {
                        return (false, $"client {i + 1} of 3 got no time while client 1 stayed connected ({e.Message}): the server serves one client at a time. Handle each accepted connection in its own thread (threading.Thread, socketserver.ThreadingTCPServer) or task (asyncio)");
                    }
                }
                return (true, "all three answered while connected together");
            }
            finally
            {
                foreach (var c in clients)
                    await c.DisposeAsync();
            }
        }, cancellationToken);
        checks.Finish();
    }

    private static string Signed(double ms) => ms.ToString("+0;-0", CultureInfo.InvariantCulture);

    /// <summary>Reads lines until one parses as a time; a silent, closing or non-time answer fails with why.</summary>
    private async Task<(DateTimeOffset Time, bool Precise, string Line)> ReadTimeAsync(Connection c, string what, CancellationToken ct)
    {
        var seen = new List<string>();
        while (seen.Count < 4)
        {
            string? line;
            try
            {
                line = await c.ReadLineAsync(options.TimeoutMs, environment.Time, ct);
            }
            catch (LabException) when (seen.Count > 0)
            {
                break;
            }
            if (line is null)
                throw new LabException(seen.Count == 0 ? $"the server closed the connection before answering {what}"
                    : $"the server sent \"{string.Join("\", \"", seen)}\" and closed the connection, with no time for {what}");
            if (TimeMessage.TryParseTime(line, out var time, out var precise))
                return (time, precise, line);
            seen.Add(line);
        }
        throw new LabException(seen.Count == 0 ? $"no answer to {what}"
            : $"no line of the answer to {what} parses as a date and time: got \"{string.Join("\", \"", seen)}\". Send e.g. time.strftime(\"%c\", time.gmtime()) or datetime.now(timezone.utc).isoformat(), one per line");
    }

    /// <summary>A grader's TCP connection that reads lines (LF; CR dropped; a last line without LF taken at close).</summary>
    private sealed class Connection(Socket socket) : IAsyncDisposable
    {
        private readonly byte[] buffer = new byte[8192];
        private int filled;
        private bool closed;

        public static async Task<Connection> OpenAsync(ProbeTarget target, CancellationToken ct)
        {
            var socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(target.EndPoint, ct);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            return new Connection(socket);
        }

        public async Task SendAsync(string text, CancellationToken ct) =>
            await socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None, ct);

        /// <summary>The next line, or null when the peer closed with nothing left; no line within the timeout fails.</summary>
        public async Task<string?> ReadLineAsync(int timeoutMs, TimeProvider time, CancellationToken ct)
        {
            using var wait = Deadline.After(timeoutMs, ct, time);
            while (true)
            {
                var lf = buffer.AsSpan(0, filled).IndexOf((byte)'\n');
                if (lf >= 0 || (closed && filled > 0) || filled == buffer.Length)
                {
                    var end = lf >= 0 ? lf : filled;
                    var line = Encoding.Latin1.GetString(buffer, 0, end).TrimEnd('\r');
                    var used = lf >= 0 ? lf + 1 : filled;
                    buffer.AsSpan(used, filled - used).CopyTo(buffer);
                    filled -= used;
                    return Printable.Ascii(Encoding.Latin1.GetBytes(line), 200);
                }
                if (closed)
                    return null;
                int n;
                try
                {
                    n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, wait.Token);
                }
                catch (OperationCanceledException) when (wait.Expired)
                {
                    throw new LabException(filled > 0
                        ? $"\"{Printable.Ascii(buffer.AsSpan(0, filled), 80)}\" came without a line end within {timeoutMs} ms: end each answer line with \"\\n\" (or \"\\r\\n\")"
                        : $"no answer within {timeoutMs} ms");
                }
                catch (SocketException)
                {
                    n = 0; // reset: as closed
                }
                if (n == 0)
                    closed = true;
                filled += n;
            }
        }

        public ValueTask DisposeAsync()
        {
            socket.CloseQuietly();
            return ValueTask.CompletedTask;
        }
    }
}
