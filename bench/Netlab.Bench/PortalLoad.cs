using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace Netlab.Bench;

/// <summary>
/// A class at once against a running portal (bench/portal-load.sh): N students, each with their
/// own account and key, start a UDP ping run at the same moment and follow it live over SSE and
/// over the hub's run group. Every event each client received is compared with the run's stored
/// events afterwards (all of them, in order, none twice), and its delay is the time from the
/// event's own timestamp to its arrival at the client. Meanwhile /healthz is timed every 100 ms
/// and, when the portal's process ids are given, its CPU time and memory are read from /proc.
/// </summary>
public sealed class PortalLoad
{
    public const string Usage = """
        portal-load --url URL[,URL...] --key ADMIN_KEY [--students N] [--pings 200] [--interval-ms 20]
                    [--target HOST:PORT] [--portal-pid PID[,PID...]] [--db FILE] [--label TEXT] [--follow both|sse|hub|none]
          --url         the portal (several: students are spread over them, and each follows its run over
                        the hub on the next one, so events must cross instances)
          --key         an admin or instructor key (creates the students and their keys)
          --target      a UDP ping server the portal may reach (default: one started here, no loss)
          --portal-pid  the portal processes, for CPU time and peak memory (from /proc); left out: not measured
          --db          the portal's SQLite file, for the database size per 1,000 events; left out: not measured
          --follow      how each student follows their run (default both; none: polls GET /api/runs/{id} every second,
                        to see what the followers cost)
        """;

    private readonly Settings settings;
    private readonly TextWriter progress;

    private PortalLoad(Settings settings, TextWriter progress) => (this.settings, this.progress) = (settings, progress);

    public sealed record Settings(IReadOnlyList<Uri> Urls, string Key, int Students, int Pings, int IntervalMs, string? Target,
        IReadOnlyList<int> PortalPids, string? Database, string Label, bool Sse = true, bool Hub = true)
    {
        public static Settings Parse(IReadOnlyList<string> args)
        {
            var values = new Dictionary<string, string>();
            for (var i = 0; i < args.Count; i++)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                    throw new ArgumentException($"Unexpected argument '{args[i]}'.");
                values[args[i][2..]] = args[++i];
            }
            string? Get(string name) => values.Remove(name, out var v) ? v : null;
            int Positive(string name, int fallback) =>
                Get(name) is { } text ? int.TryParse(text, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new ArgumentException($"--{name} must be a positive whole number.") : fallback;
            var urls = (Get("url") ?? throw new ArgumentException("--url is required."))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"--url: '{u}' is not an absolute URL.")).ToList();
            var key = Get("key") ?? throw new ArgumentException("--key is required.");
            var settings = new Settings(urls, key, Positive("students", 10), Positive("pings", 200), Positive("interval-ms", 20), Get("target"),
                (Get("portal-pid") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList(),
                Get("db"), Get("label") ?? "");
            var follow = Get("follow") ?? "both";
            if (follow is not ("both" or "sse" or "hub" or "none"))
                throw new ArgumentException("--follow is both, sse, hub or none.");
            settings = settings with { Sse = follow is "both" or "sse", Hub = follow is "both" or "hub" };
            if (values.Count > 0)
                throw new ArgumentException($"Unknown option --{values.Keys.First()}.");
            return settings;
        }
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        Settings settings;
        try
        {
            settings = Settings.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var result = await new PortalLoad(settings, Console.Error).MeasureAsync();
        Console.Out.Write(result.Markdown(settings));
        return result.Problems.Count == 0 ? 0 : 1;
    }

    private async Task<Result> MeasureAsync()
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = TimeSpan.FromMinutes(5) };
        HostedServer? pingServer = null;
        var target = settings.Target;
        if (target is null)
        {
            pingServer = await LabServers.StartPingAsync();
            target = $"127.0.0.1:{pingServer.EndPoint.Port}";
        }
        try
        {
            var students = await CreateStudentsAsync(http);
            // A fresh portal compiles its code paths on first use (and again, optimized, once they are
            // hot): a short run for every student first, not measured, so what is measured is a
            // portal that has been in use, not its start.
            var warmUp = students.Select(s => s.Again()).ToList();
            progress.WriteLine($"{students.Count} students created; warming up with {warmUp.Count} short runs");
            await ForEachAsync(warmUp, 16, s => s.ConnectHubAsync());
            await Task.WhenAll(warmUp.Select(s => s.RunAsync(http, target, settings with { Pings = 50 })));
            await ForEachAsync(warmUp, 16, s => s.DisposeAsync().AsTask());
            if (warmUp.SelectMany(s => s.Problems).FirstOrDefault() is { } failed)
                progress.WriteLine($"warm-up: {failed}");
            progress.WriteLine("connecting the students' hub clients");
            await ForEachAsync(students, 16, s => s.ConnectHubAsync());
            var before = Snapshot();
            var dbBefore = DatabaseBytes();
            var client = Process.GetCurrentProcess().TotalProcessorTime;
            using var stop = new CancellationTokenSource();
            var health = SampleHealthAsync(http, stop.Token);
            var memory = SampleMemoryAsync(stop.Token);
            progress.WriteLine($"{students.Count} runs of {settings.Pings} pings {settings.IntervalMs} ms apart against {target}, all at once");
            var load = Report.LoadAverage();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(students.Select(s => s.RunAsync(http, target, settings)));
            var elapsed = clock.Elapsed;
            await stop.CancelAsync();
            var after = Snapshot();
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - client;
            progress.WriteLine("checking every client's events against the store");
            await ForEachAsync(students, 8, s => s.VerifyAsync(http, settings));
            await ForEachAsync(students, 16, s => s.DisposeAsync().AsTask());
            return new Result(students, load, Report.LoadAverage(), elapsed, await health, await memory, before, after, dbBefore, DatabaseBytes(), clientCpu);
        }
        finally
        {
            if (pingServer is not null)
                await pingServer.DisposeAsync();
        }
    }

    private async Task<List<Student>> CreateStudentsAsync(HttpClient http)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var students = new Student[settings.Students];
        await ForEachAsync(Enumerable.Range(0, settings.Students), 8, async i =>
        {
            var url = settings.Urls[i % settings.Urls.Count];
            using var create = Request(HttpMethod.Post, new Uri(url, "/api/users"), settings.Key,
                new { email = $"load-{tag}-{i}@netlab.test", name = $"Load {tag} {i}", role = "Student" });
            var user = await ReadJsonAsync(await http.SendAsync(create));
            var id = user.GetProperty("id").GetString()!;
            using var keyRequest = Request(HttpMethod.Post, new Uri(url, $"/api/users/{id}/api-keys"), settings.Key, new { name = "portal-load" });
            var key = (await ReadJsonAsync(await http.SendAsync(keyRequest))).GetProperty("key").GetString()!;
            students[i] = new Student(i, url, settings.Urls[(i + 1) % settings.Urls.Count], key);
        });
        return [.. students];
    }

    internal static HttpRequestMessage Request(HttpMethod method, Uri uri, string key, object? body = null)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Add("X-Api-Key", key);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return request;
    }

    internal static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, int parallel, Func<T, Task> action) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (item, _) => await action(item));

    /// <summary>/healthz on every portal every 100 ms, timed; a failed or slow answer counts too.</summary>
    private async Task<List<double>> SampleHealthAsync(HttpClient http, CancellationToken stop)
    {
        var samples = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            foreach (var url in settings.Urls)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    using var response = await http.GetAsync(new Uri(url, "/healthz"), CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    samples.Add(response.IsSuccessStatusCode ? clock.Elapsed.TotalMilliseconds : double.PositiveInfinity);
                }
                catch (HttpRequestException)
                {
                    samples.Add(double.PositiveInfinity);
                }
            }
            try { await Task.Delay(100, stop); } catch (OperationCanceledException) { }
        }
        return samples;
    }

    /// <summary>The portals' resident memory together, every 100 ms: the peak during the load (VmHWM also counts start-up).</summary>
    private async Task<long?> SampleMemoryAsync(CancellationToken stop)
    {
        if (settings.PortalPids.Count == 0)
            return null;
        long peak = 0;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, settings.PortalPids.Sum(pid => ProcStatus(pid, "VmRSS") ?? 0));
            try { await Task.Delay(100, stop); } catch (OperationCanceledException) { }
        }
        return peak;
    }

    /// <summary>The portals' CPU time so far (user + system), and their peak resident memory (kB).</summary>
    private ProcessSnapshot? Snapshot()
    {
        if (settings.PortalPids.Count == 0)
            return null;
        double cpu = 0;
        long hwm = 0;
        foreach (var pid in settings.PortalPids)
        {
            // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            cpu += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0; // USER_HZ is 100 on Linux
            hwm += ProcStatus(pid, "VmHWM") ?? 0;
        }
        return new ProcessSnapshot(cpu, hwm);
    }

    private static long? ProcStatus(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>
    /// The database's used pages, as a connection sees them (the WAL's committed pages included,
    /// its reused frames and free pages not), through the sqlite3 shell; null without either.
    /// </summary>
    private long? DatabaseBytes()
    {
        if (settings.Database is not { } db || !File.Exists(db))
            return null;
        try
        {
            var info = new ProcessStartInfo("sqlite3") { RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(db);
            info.ArgumentList.Add("select (page_count - freelist_count) * page_size from pragma_page_count(), pragma_freelist_count(), pragma_page_size();");
            using var sqlite = Process.Start(info)!;
            var output = sqlite.StandardOutput.ReadToEnd();
            sqlite.WaitForExit();
            return long.TryParse(output.Trim(), CultureInfo.InvariantCulture, out var bytes) ? bytes : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no sqlite3 shell
        }
    }

    public sealed record ProcessSnapshot(double CpuSeconds, long PeakKilobytes);

    /// <summary>One simulated student: an account, a key, a hub connection, and what their clients received.</summary>
    public sealed class Student(int index, Uri portal, Uri hubPortal, string key) : IAsyncDisposable
    {
        private readonly HubConnection hub = new HubConnectionBuilder()
            .WithUrl(new Uri(hubPortal, "/hubs/runs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(key))
            .Build();
        private readonly TaskCompletionSource ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Index => index;

        /// <summary>The same student with fresh clients.</summary>
        public Student Again() => new(index, portal, hubPortal, key);
        public string? RunId { get; private set; }
        public string? Status { get; private set; }

        /// <summary>How long POST /api/runs took: a run that starts late spreads the class's load out.</summary>
        public double? StartMs { get; private set; }
        public List<Arrival> Sse { get; } = [];
        public ConcurrentQueue<Arrival> Hub { get; } = new();
        public int HubMessages;
        public List<long> Stored { get; private set; } = [];
        public List<string> Problems { get; } = [];

        public async Task ConnectHubAsync()
        {
            // "events" carries a batch; "event" one event (older portals): both are accepted.
            hub.On<JsonElement>("event", e => { Interlocked.Increment(ref HubMessages); Hub.Enqueue(Arrival.Of(e)); });
            hub.On<JsonElement>("events", batch =>
            {
                Interlocked.Increment(ref HubMessages);
                foreach (var e in batch.EnumerateArray())
                    Hub.Enqueue(Arrival.Of(e));
            });
            hub.On<JsonElement>("runEnded", _ => ended.TrySetResult());
            await hub.StartAsync();
        }

        public async Task RunAsync(HttpClient http, string target, Settings settings)
        {
            var (host, port) = (target[..target.LastIndexOf(':')], int.Parse(target[(target.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture));
            try
            {
                using var start = Request(HttpMethod.Post, new Uri(portal, "/api/runs"), key, new
                {
                    probe = "udp-ping",
                    target = new { host, port },
                    options = new { count = settings.Pings, intervalMs = settings.IntervalMs, timeoutMs = 1000 },
                });
                var clock = Stopwatch.StartNew();
                RunId = (await ReadJsonAsync(await http.SendAsync(start))).GetProperty("id").GetString()!;
                StartMs = clock.Elapsed.TotalMilliseconds;
                using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds((double)settings.Pings * (settings.IntervalMs + 1000) + 120_000));
                // The group gets only what comes after the join: it is checked as a gap-free tail of the run.
                var joined = settings.Hub ? hub.InvokeAsync("JoinRun", Guid.Parse(RunId), timeout.Token) : Task.CompletedTask;
                if (settings.Sse)
                    await ReadSseAsync(http, timeout.Token);
                await joined;
                if (settings.Hub)
                    await ended.Task.WaitAsync(timeout.Token);
                else if (!settings.Sse)
                    await PollUntilEndedAsync(http, timeout.Token);
            }
            catch (Exception e)
            {
                Problems.Add($"student {index}: {e.GetType().Name}: {e.Message}");
            }
        }

        private async Task PollUntilEndedAsync(HttpClient http, CancellationToken cancellationToken)
        {
            while (true)
            {
                using var get = Request(HttpMethod.Get, new Uri(portal, $"/api/runs/{RunId}"), key);
                if ((await ReadJsonAsync(await http.SendAsync(get, cancellationToken))).GetProperty("status").GetString() != "Running")
                    return;
                await Task.Delay(1000, cancellationToken);
            }
        }

        private async Task ReadSseAsync(HttpClient http, CancellationToken cancellationToken)
        {
            using var request = Request(HttpMethod.Get, new Uri(portal, $"/api/runs/{RunId}/events/stream"), key);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal))
                    data.Append(line.AsSpan(line.StartsWith("data: ", StringComparison.Ordinal) ? 6 : 5));
                else if (line.Length == 0 && data.Length > 0)
                {
                    var now = DateTimeOffset.UtcNow;
                    using var json = JsonDocument.Parse(data.ToString());
                    Sse.Add(Arrival.Of(json.RootElement, now));
                    data.Clear();
                }
            }
        }

        /// <summary>What the store has, compared with what each client received.</summary>
        public async Task VerifyAsync(HttpClient http, Settings settings)
        {
            if (RunId is null)
                return;
            try
            {
                using var get = Request(HttpMethod.Get, new Uri(portal, $"/api/runs/{RunId}"), key);
                Status = (await ReadJsonAsync(await http.SendAsync(get))).GetProperty("status").GetString();
                using var events = Request(HttpMethod.Get, new Uri(portal, $"/api/runs/{RunId}/events"), key);
                Stored = [.. (await ReadJsonAsync(await http.SendAsync(events))).EnumerateArray().Select(e => e.GetProperty("seq").GetInt64())];
            }
            catch (Exception e)
            {
                Problems.Add($"student {index}: {e.Message}");
                return;
            }
            var sse = Sse.Select(a => a.Seq).ToList();
            if (settings.Sse && !sse.SequenceEqual(Stored))
                Problems.Add($"student {index}: SSE got {sse.Count} events, the store has {Stored.Count}; first difference at #{FirstDifference(sse, Stored)}");
            var hubSeqs = Hub.Select(a => a.Seq).ToList();
            var from = hubSeqs.Count == 0 ? Stored.Count : Stored.IndexOf(hubSeqs[0]);
            if (settings.Hub && (from < 0 || !hubSeqs.SequenceEqual(Stored.Skip(from))))
                Problems.Add($"student {index}: the hub group got {hubSeqs.Count} events, not the stored ones from seq {(hubSeqs.Count > 0 ? hubSeqs[0] : 0)} on, in order");
            if (Status != "Succeeded")
                Problems.Add($"student {index}: run {RunId} ended {Status}");
        }

        private static int FirstDifference(List<long> a, List<long> b)
        {
            var i = 0;
            while (i < a.Count && i < b.Count && a[i] == b[i]) i++;
            return i;
        }

        public async ValueTask DisposeAsync() => await hub.DisposeAsync();
    }

    public readonly record struct Arrival(long Seq, double DelayMs)
    {
        public static Arrival Of(JsonElement e, DateTimeOffset? now = null) =>
            new(e.GetProperty("seq").GetInt64(), ((now ?? DateTimeOffset.UtcNow) - e.GetProperty("timestamp").GetDateTimeOffset()).TotalMilliseconds);
    }

    private sealed record Result(List<Student> Students, string? LoadBefore, string? LoadAfter, TimeSpan Elapsed, List<double> Health, long? PeakRssKb,
        ProcessSnapshot? Before, ProcessSnapshot? After, long? DbBefore, long? DbAfter, TimeSpan ClientCpu)
    {
        public List<string> Problems => [.. Students.SelectMany(s => s.Problems)];

        public string Markdown(Settings settings)
        {
            static string Ms(double v) => double.IsNaN(v) ? "-" : double.IsInfinity(v) ? "failed" : v.ToString(v < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);
            static string Row(IReadOnlyCollection<double> d) => $"{Ms(Stats.Percentile(d, 0.5))} | {Ms(Stats.Percentile(d, 0.95))} | {Ms(Stats.Percentile(d, 0.99))} | {Ms(d.Count == 0 ? double.NaN : d.Max())}";
            var stored = Students.Sum(s => s.Stored.Count);
            var sse = Students.SelectMany(s => s.Sse.Select(a => a.DelayMs)).ToList();
            var hub = Students.SelectMany(s => s.Hub.Select(a => a.DelayMs)).ToList();
            var completed = Students.Count(s => s.Status == "Succeeded");
            var starts = Students.Where(s => s.StartMs is not null).Select(s => s.StartMs!.Value).ToList();
            var cpu = Before is not null && After is not null ? $"{After.CpuSeconds - Before.CpuSeconds:0.0} s ({(After.CpuSeconds - Before.CpuSeconds) / Elapsed.TotalSeconds * 100:0}% of one core)" : "not measured";
            var rss = PeakRssKb is { } kb ? $"{kb / 1024.0:0} MB (VmHWM since start {After!.PeakKilobytes / 1024.0:0} MB)" : "not measured";
            var db = DbBefore is { } b && DbAfter is { } a && stored > 0 ? $"{(a - b) / 1024.0 / stored * 1000:0.0} KB per 1,000 events ({(a - b) / 1048576.0:0.0} MB for {stored:N0})" : "not measured";
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"portal-load {settings.Label}: followed over {(settings.Sse && settings.Hub ? "SSE and the hub" : settings.Sse ? "SSE only" : settings.Hub ? "the hub only" : "nothing (polled)")}, {Students.Count} students, {settings.Pings} pings {settings.IntervalMs} ms apart each, {settings.Urls.Count} portal(s), {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, " +
                $"load average {LoadBefore} before, {LoadAfter} after ({Environment.ProcessorCount} CPUs, shared with the bench client)");
            text.AppendLine();
            text.AppendLine("| N | runs ok | events stored | SSE delivered | hub delivered (msgs) | POST /api/runs p50/max ms | delay SSE p50/p95/p99/max ms | delay hub p50/p95/p99/max ms | /healthz p50/p95/max ms | portal CPU | portal peak RSS | DB | wall | bench client CPU |");
            text.AppendLine("|--:|--:|--:|--:|--:|--|--|--|--|--|--|--|--:|--:|");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {Students.Count} | {completed}/{Students.Count} | {stored:N0} | {sse.Count:N0} | {hub.Count:N0} ({Students.Sum(s => s.HubMessages):N0}) | {Ms(Stats.Percentile(starts, 0.5))} / {Ms(starts.Count == 0 ? double.NaN : starts.Max())} | {Row(sse).Replace(" | ", " / ")} | {Row(hub).Replace(" | ", " / ")} " +
                $"| {Ms(Stats.Percentile(Health, 0.5))} / {Ms(Stats.Percentile(Health, 0.95))} / {Ms(Health.Count == 0 ? double.NaN : Health.Max())} | {cpu} | {rss} | {db} | {Elapsed.TotalSeconds:0.0} s | {ClientCpu.TotalSeconds:0.0} s |");
            text.AppendLine();
            var problems = Problems;
            text.AppendLine(problems.Count == 0
                ? "Every client got every stored event, in order, none twice (SSE: all of them; hub group: all from its join on)."
                : $"{problems.Count} problems:");
            foreach (var p in problems.Take(20))
                text.AppendLine($"- {p}");
            return text.ToString();
        }
    }
}
