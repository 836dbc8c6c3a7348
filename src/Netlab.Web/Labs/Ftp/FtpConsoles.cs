using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Netlab.Labs.Core;
using Netlab.Labs.Ftp;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;

namespace Netlab.Web.Labs.Ftp;

/// <summary>A console as the API shows it.</summary>
public sealed record FtpConsoleDto(Guid Id, bool Connected, bool Passive, string LocalDirectory, long BytesDownloaded, long BytesUploaded, DateTime CreatedAt,
    OwnerDto? Owner = null, bool Handout = false);

/// <summary>A file in a console's scratch folder.</summary>
public sealed record ScratchFileDto(string Name, long Size, DateTime Modified, bool IsDirectory);

/// <summary>Body of POST /api/ftp/consoles/{id}/commands: one line of the handout's shell.</summary>
public sealed record FtpCommandRequest(string? Line);

/// <summary>
/// The FTP lab's client consoles: each is the handout's shell (<see cref="FtpShell"/>) with its
/// own scratch folder on the portal host (the local side of lcd, get and put) and its own live
/// transcript of the control and data channels. Idle consoles are closed after a while.
/// </summary>
public sealed class FtpConsoles(IOptionsMonitor<NetlabOptions> settings, LabEnvironment environment, ScaleOut.LiveOwners owners, ILogger<FtpConsoles> logger) : BackgroundService
{
    private static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(30);
    private const int MaxConsoles = 100;
    private const int Retained = 2000;
    public const long MaxScratchFile = 64L * 1024 * 1024;

    /// <summary>What one console's scratch folder may hold in all (gets and uploads alike).</summary>
    public const long ScratchQuota = 256L * 1024 * 1024;

    private readonly ConcurrentDictionary<Guid, FtpConsole> consoles = new();

    private string ScratchRoot => Path.Combine(environment.DataDirectory ?? Path.GetTempPath(), "ftp-scratch");

    /// <summary>Its kind among the things an instance holds (ScaleOut.LiveOwners).</summary>
    public const string OwnerKind = "ftp-console";

    public bool IsHere(Guid id) => consoles.ContainsKey(id);

    public FtpConsoleDto Create(Viewer owner)
    {
        if (consoles.Count >= MaxConsoles)
            throw new ProblemException(StatusCodes.Status429TooManyRequests, "Too many consoles", $"{MaxConsoles} FTP consoles are open; close one first.");
        var limit = settings.CurrentValue.Limits.ConsolesPerUser;
        if (consoles.Values.Count(c => c.Owner.Id == owner.Id) >= limit)
            throw new ProblemException(StatusCodes.Status429TooManyRequests, "Too many consoles",
                $"You have {limit} FTP consoles open, the most one user may have at once; close one first.", extensions: new Dictionary<string, object?> { ["limit"] = limit });
        var id = Guid.CreateVersion7();
        var folder = Path.Combine(ScratchRoot, id.ToString("N"));
        Directory.CreateDirectory(folder);
        // A few files to put, so a new console can try put at once.
        foreach (var sample in new[] { "HelloWorld.html", "files/numbers.txt" })
        {
            var source = Path.Combine(environment.ContentRoot, sample);
            if (File.Exists(source))
                File.Copy(source, Path.Combine(folder, Path.GetFileName(sample)), overwrite: true);
        }
        var events = new EventStream(id.ToString());
        var shell = new FtpShell(folder, events, new FtpShellOptions
        {
            AllowAddress = address => TargetPolicy.IsAllowed(address.ToString(), address, settings.CurrentValue.Probes.AllowedHosts),
            MaxDownloadBytes = MaxScratchFile,
            MaxScratchBytes = ScratchQuota,
        });
        var console = new FtpConsole(id, folder, shell, events, new EventFeed(Retained), DateTime.UtcNow, new OwnerDto(owner.Id, owner.Name));
        console.Pump = Task.Run(async () =>
        {
            await foreach (var e in events.Reader.ReadAllAsync())
                console.Feed.Publish([e]);
            console.Feed.Complete();
        });
        consoles[id] = console;
        // With several instances, a request for it reaching another one is relayed here.
        owners.Add(OwnerKind, id);
        return console.ToDto();
    }

    public FtpConsoleDto Get(Guid id) => Find(id).ToDto();

    public EventFeed Feed(Guid id) => Find(id).Feed;

    public async Task<FtpShellResult> ExecuteAsync(Guid id, string? line, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(line))
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["line"] = ["line is required, e.g. \"connect 127.0.0.1 2121\" or \"help\"."] });
        if (line.Length > 2000 || line.Any(char.IsControl))
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["line"] = ["line must be one line of at most 2000 characters."] });
        var console = Find(id);
        // One command at a time per console: the shell is a conversation.
        await console.Gate.WaitAsync(cancellationToken);
        try
        {
            console.LastUsed = DateTime.UtcNow;
            return await console.Shell.ExecuteAsync(line, cancellationToken);
        }
        finally
        {
            console.Gate.Release();
        }
    }

    public IReadOnlyList<ScratchFileDto> Files(Guid id)
    {
        var root = new DirectoryInfo(Find(id).Folder);
        return [.. root.EnumerateFileSystemInfos("*", SearchOption.AllDirectories)
            .Where(f => f.LinkTarget is null)
            .Select(f => new ScratchFileDto(Path.GetRelativePath(root.FullName, f.FullName).Replace('\\', '/'), f is FileInfo file ? file.Length : 0, f.LastWriteTimeUtc, f is DirectoryInfo))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    /// <summary>A file of the scratch folder by its relative name; never outside it.</summary>
    public string FilePath(Guid id, string name, bool mustExist)
    {
        var folder = Find(id).Folder;
        var root = new ContentRoot(folder);
        if (mustExist)
        {
            return root.TryResolve(name, out var full) switch
            {
                ContentRoot.Outcome.Found when File.Exists(full) => full,
                ContentRoot.Outcome.Forbidden => throw ProblemException.BadRequest($"'{name}' is outside the scratch folder."),
                _ => throw ProblemException.NotFound("file", name),
            };
        }
        var fileName = Path.GetFileName(name);
        if (fileName.Length == 0 || fileName is "." or ".." || name.Contains('/') || name.Contains('\\') || name.Any(char.IsControl))
            throw ProblemException.BadRequest("Give a plain file name (no folders) to upload into the scratch folder.");
        return Path.Combine(folder, fileName);
    }

    public async Task CloseAsync(Guid id)
    {
        if (!consoles.TryRemove(id, out var console))
            throw ProblemException.NotFound("console", id);
        await DisposeConsoleAsync(console);
    }

    private async Task DisposeConsoleAsync(FtpConsole console)
    {
        await console.Shell.DisposeAsync();
        console.Events.Complete();
        await console.Pump;
        try
        {
            Directory.Delete(console.Folder, recursive: true);
        }
        catch (IOException e)
        {
            logger.LogWarning(e, "Could not delete scratch folder {Folder}", console.Folder);
        }
    }

    private FtpConsole Find(Guid id) => consoles.TryGetValue(id, out var c) ? c : throw ProblemException.NotFound("console", id);

    /// <summary>
    /// Writes an uploaded file into the scratch folder: beside its name first and moved over it when
    /// complete, so a refused or broken upload (413 past the file limit or the folder's quota) leaves nothing.
    /// </summary>
    public async Task WriteFileAsync(Guid id, string name, Stream body, long? length, CancellationToken cancellationToken)
    {
        var path = FilePath(id, name, mustExist: false);
        var room = Math.Min(MaxScratchFile, ScratchQuota - ContentRoot.BytesUnder(Find(id).Folder));
        ProblemException TooLarge() => new(StatusCodes.Status413PayloadTooLarge, "File too large",
            $"Scratch files are limited to {MaxScratchFile / 1024 / 1024} MB each and {ScratchQuota / 1024 / 1024} MB in all; this one does not fit.");
        if (length > room)
            throw TooLarge();
        var partial = path + $".{Guid.NewGuid():N}.partial";
        try
        {
            await using (var file = File.Create(partial))
            {
                var buffer = new byte[81920];
                long written = 0;
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    if ((written += read) > room)
                        throw TooLarge();
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>404 unless the viewer owns the console (or is staff): someone else's console does not exist for a student.</summary>
    public void CheckAccess(Guid id, Viewer viewer)
    {
        if (!consoles.TryGetValue(id, out var console) || !viewer.CanSee(console.Owner.Id))
            throw ProblemException.NotFound("console", id);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Scratch folders of a previous process belong to consoles that no longer exist.
        if (Directory.Exists(ScratchRoot))
            foreach (var stale in Directory.EnumerateDirectories(ScratchRoot))
                try { Directory.Delete(stale, true); } catch (IOException) { }
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                foreach (var idle in consoles.Values.Where(c => DateTime.UtcNow - c.LastUsed > IdleLimit && c.Gate.CurrentCount == 1).ToList())
                    if (consoles.TryRemove(idle.Id, out _))
                        await DisposeConsoleAsync(idle);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var id in consoles.Keys.ToList())
            if (consoles.TryRemove(id, out var console))
                await DisposeConsoleAsync(console);
    }

    private sealed class FtpConsole(Guid id, string folder, FtpShell shell, EventStream events, EventFeed feed, DateTime createdAt, OwnerDto owner)
    {
        public OwnerDto Owner { get; } = owner;
        public Guid Id { get; } = id;
        public string Folder { get; } = folder;
        public FtpShell Shell { get; } = shell;
        public EventStream Events { get; } = events;
        public EventFeed Feed { get; } = feed;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public DateTime CreatedAt { get; } = createdAt;
        public DateTime LastUsed { get; set; } = createdAt;
        public Task Pump { get; set; } = Task.CompletedTask;

        public FtpConsoleDto ToDto() => new(Id, Shell.Connected, Shell.Passive, "/" + Path.GetRelativePath(Folder, Shell.LocalDirectory).Replace('\\', '/').TrimStart('.'),
            Shell.BytesDownloaded, Shell.BytesUploaded, CreatedAt, Owner, Shell.HandoutMode);
    }
}
