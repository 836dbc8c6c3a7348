using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Netlab.Data;
using Netlab.Labs;
using Netlab.Labs.Core;
using Netlab.Web.Accounts;
using Netlab.Web.Hosting;
using Netlab.Web.Runs;
using Netlab.Web.Servers;

namespace Netlab.Web.Grading;

/// <summary>
/// Assignments, submissions and the gradebook. A submission is a run of the assignment's grader (a
/// probe kind found in the catalog; nothing here names a lab) owned by the student; when the run
/// ends, its summary's score/maxScore become the submission's score, scaled to the assignment's
/// points and reduced by the late penalty. Times come from the injected clock.
/// </summary>
public sealed class GradingService(
    IDbContextFactory<NetlabDbContext> contexts,
    RunCoordinator runs,
    RunStore runStore,
    ServerManager servers,
    ServerStore serverStore,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<GradingService> logger) : IHostedService
{
    /// <summary>Raised when a submission is created or graded, for pages that update live.</summary>
    public event Action<Guid>? SubmissionChanged;

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // ---- assignments ----

    public async Task<IReadOnlyList<AssignmentDto>> ListAsync(CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var all = await db.Assignments.AsNoTracking().ToListAsync(ct);
        return [.. all.OrderBy(a => a.DueAt).ThenBy(a => a.Title).Select(AssignmentDto.From)];
    }

    public async Task<AssignmentDto> GetAsync(Guid id, CancellationToken ct) => AssignmentDto.From(await LoadAssignmentAsync(id, ct));

    public async Task<AssignmentDto> CreateAsync(AssignmentRequest request, Viewer actor, CancellationToken ct)
    {
        RequireStaff(actor);
        var entity = new AssignmentEntity { Id = Guid.CreateVersion7(), Title = "", Lab = "", Grader = "", OptionsJson = "{}", CreatedAt = Now, CreatedBy = actor.Name };
        Apply(entity, request, creating: true);
        await using var db = await contexts.CreateDbContextAsync(ct);
        db.Assignments.Add(entity);
        await db.SaveChangesAsync(ct);
        return AssignmentDto.From(entity);
    }

    public async Task<AssignmentDto> UpdateAsync(Guid id, AssignmentRequest request, Viewer actor, CancellationToken ct)
    {
        RequireStaff(actor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var entity = await db.Assignments.FirstOrDefaultAsync(a => a.Id == id, ct) ?? throw ProblemException.NotFound("assignment", id);
        Apply(entity, request, creating: false);
        await db.SaveChangesAsync(ct);
        return AssignmentDto.From(entity);
    }

    public async Task DeleteAsync(Guid id, Viewer actor, CancellationToken ct)
    {
        RequireStaff(actor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var entity = await db.Assignments.FirstOrDefaultAsync(a => a.Id == id, ct) ?? throw ProblemException.NotFound("assignment", id);
        db.Assignments.Remove(entity);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Validates a request into the entity: the grader must be a probe of the lab, its options valid for it.</summary>
    private static void Apply(AssignmentEntity a, AssignmentRequest r, bool creating)
    {
        var errors = new Dictionary<string, string[]>();
        void Error(string field, string message) => errors[field] = [message];

        if (creating || r.Title is not null)
        {
            if (string.IsNullOrWhiteSpace(r.Title)) Error("title", "title is required.");
            else if (r.Title.Trim().Length > 200) Error("title", "title must be at most 200 characters.");
            else a.Title = r.Title.Trim();
        }
        if (r.Description is not null)
            a.Description = r.Description;
        var labId = r.Lab ?? (creating ? null : a.Lab);
        var lab = LabCatalog.Find(labId);
        if (lab is null)
            Error("lab", labId is null ? "lab is required." : $"Unknown lab '{labId}'. Labs: {string.Join(", ", LabCatalog.All.Select(l => l.Id))}.");
        var graderId = r.Grader ?? (creating ? null : a.Grader);
        var grader = lab?.Probes.FirstOrDefault(p => string.Equals(p.Id, graderId, StringComparison.OrdinalIgnoreCase));
        if (lab is not null && grader is null)
            Error("grader", graderId is null ? "grader is required (a probe of the lab, e.g. its grader)."
                : $"The {lab.Id} lab has no probe '{graderId}'. Its probes: {string.Join(", ", lab.Probes.Select(p => p.Id))}.");
        if (lab is not null && grader is not null)
        {
            a.Lab = lab.Id;
            a.Grader = grader.Id;
            if (creating || r.Options is not null || r.Grader is not null)
            {
                try
                {
                    var options = LabOptionsBinder.Bind(grader.OptionsType, r.Options);
                    a.OptionsJson = OptionField.Redacted(options, grader.OptionsType).GetRawText();
                }
                catch (ProblemException e)
                {
                    foreach (var (k, v) in e.Errors ?? new Dictionary<string, string[]> { [""] = [e.Message] })
                        errors[k.Length == 0 ? "options" : k.StartsWith("options", StringComparison.Ordinal) ? k : "options." + k] = v;
                }
            }
        }
        if (creating || r.Target is not null)
        {
            if (GradingNames.Target(r.Target ?? "student-server") is { } target) a.Target = target;
            else Error("target", "target must be \"student-server\" or \"student-client\".");
        }
        if (r.ServerOptions is { ValueKind: JsonValueKind.Object } serverOptions)
        {
            if (lab?.Server is { } kind)
            {
                try
                {
                    var bound = LabOptionsBinder.Bind(kind.OptionsType, serverOptions);
                    a.ServerOptionsJson = OptionField.Redacted(bound, kind.OptionsType).GetRawText();
                }
                catch (ProblemException e)
                {
                    Error("serverOptions", e.Message);
                }
            }
        }
        if (a.Target == AssignmentTarget.StudentClient && lab is not null && lab.Server is null)
            Error("target", $"The {lab.Id} lab has no Netlab server for a student's client to talk to.");
        if (creating || r.Points is not null)
        {
            if (r.Points is not { } p || !double.IsFinite(p) || p <= 0 || p > 10_000) Error("points", "points must be a number above 0 (at most 10000).");
            else a.Points = p;
        }
        if (creating || r.DueAt is not null)
        {
            if (r.DueAt is { } due) a.DueAt = due.UtcDateTime;
            else Error("dueAt", "dueAt is required (ISO 8601, e.g. 2026-12-01T23:59:00Z).");
        }
        if (r.LatePenaltyPercent is { } penalty)
        {
            if (!double.IsFinite(penalty) || penalty is < 0 or > 100) Error("latePenaltyPercent", "latePenaltyPercent must be between 0 and 100.");
            else a.LatePenaltyPercent = penalty;
        }
        if (r.AcceptLate is { } acceptLate)
            a.AcceptLate = acceptLate;
        if (r.Attempts is { } attempts)
        {
            if (attempts is < 0 or > 1000) Error("attempts", "attempts must be between 0 (any number) and 1000.");
            else a.Attempts = attempts;
        }
        if (creating || r.Counts is not null)
        {
            if (GradingNames.Counts(r.Counts ?? "best") is { } counts) a.Counts = counts;
            else Error("counts", "counts must be \"best\" or \"last\".");
        }
        if (creating || r.Details is not null)
        {
            if (GradingNames.Details(r.Details ?? "always") is { } details) a.Details = details;
            else Error("details", "details must be \"always\" or \"afterDue\".");
        }
        if (errors.Count > 0)
            throw new ProblemException(StatusCodes.Status400BadRequest, "Invalid assignment", string.Join(" ", errors.SelectMany(e => e.Value)), errors);
    }

    // ---- a student's server and submissions ----

    /// <summary>Starts the assignment lab's Netlab server for the student (a student-client assignment), with the assignment's server options.</summary>
    public async Task<ServerDto> StartServerAsync(Guid assignmentId, Viewer student, CancellationToken ct)
    {
        var a = await LoadAssignmentAsync(assignmentId, ct);
        if (a.Target != AssignmentTarget.StudentClient)
            throw ProblemException.BadRequest($"\"{a.Title}\" grades your server: give its host and port when you submit; Netlab starts no server for it.");
        return await servers.StartAsync(new StartServerRequest(a.Lab, 0, JsonElement.Parse(a.ServerOptionsJson)), student, ct);
    }

    public async Task<SubmissionDto> SubmitAsync(Guid assignmentId, SubmitRequest request, Viewer student, CancellationToken ct)
    {
        var a = await LoadAssignmentAsync(assignmentId, ct);
        var now = Now;
        var late = now > a.DueAt;
        if (late && !a.AcceptLate)
            throw new ProblemException(StatusCodes.Status409Conflict, "Past the due date",
                $"\"{a.Title}\" was due {a.DueAt:u} and takes no late submissions.");
        await using var db = await contexts.CreateDbContextAsync(ct);
        var made = await db.Submissions.CountAsync(s => s.AssignmentId == a.Id && s.StudentId == student.Id, ct);
        if (a.Attempts > 0 && made >= a.Attempts)
            throw new ProblemException(StatusCodes.Status409Conflict, "No attempts left",
                $"You have used all {a.Attempts} attempts of \"{a.Title}\".", extensions: new Dictionary<string, object?> { ["attempts"] = a.Attempts });

        var submission = new SubmissionEntity
        {
            Id = Guid.CreateVersion7(),
            AssignmentId = a.Id,
            StudentId = student.Id,
            StudentName = student.Name,
            StudentEmail = student.Email,
            Attempt = made + 1,
            SubmittedAt = now,
            Late = late,
            MaxScore = a.Points,
            Status = SubmissionStatus.Grading,
        };
        if (a.Target == AssignmentTarget.StudentServer)
        {
            if (request.Target is not { Host.Length: > 0 } target)
                throw ProblemException.Invalid(new Dictionary<string, string[]> { ["target"] = ["target is required: the host and port of your server, {\"host\": ..., \"port\": ...}."] });
            (submission.TargetHost, submission.TargetPort) = (target.Host, target.Port);
        }
        else
        {
            if (request.ServerId is not { } serverId)
                throw ProblemException.Invalid(new Dictionary<string, string[]> { ["serverId"] = ["serverId is required: the Netlab server your client talked to (POST /api/assignments/{id}/servers starts one)."] });
            var server = await serverStore.GetAsync(serverId, student, ct); // someone else's server is 404
            if (server.Lab != a.Lab)
                throw ProblemException.BadRequest($"Server {serverId} is a {server.Lab} server; \"{a.Title}\" grades a {a.Lab} client.");
            submission.ServerId = serverId;
            (submission.TargetHost, submission.TargetPort) = (ConnectableAddress(server.Address), server.Port);
        }

        // The run is started before the submission is stored, so a refused target (403, 429) leaves no attempt used.
        var run = await StartGraderAsync(a, submission, student, ct);
        submission.RunId = run.Id;
        db.Submissions.Add(submission);
        await db.SaveChangesAsync(ct);
        SubmissionChanged?.Invoke(submission.Id);
        // The run may have ended before the submission was stored: grade it now if so.
        await CompleteAsync(run.Id, CancellationToken.None);
        return await ToDtoAsync(await ReloadAsync(submission.Id, ct), a, student, ct);
    }

    /// <summary>A server bound to any address is reached on loopback.</summary>
    private static string ConnectableAddress(string address) => address switch { "0.0.0.0" => "127.0.0.1", "::" => "::1", _ => address };

    private Task<RunDto> StartGraderAsync(AssignmentEntity a, SubmissionEntity s, Viewer owner, CancellationToken ct)
    {
        var options = JsonNode.Parse(a.OptionsJson)!.AsObject();
        // Client graders take the server whose stored session they read as the option "serverId".
        var grader = LabCatalog.FindProbe(a.Grader)?.Probe ?? throw ProblemException.BadRequest($"The grader '{a.Grader}' no longer exists.");
        if (s.ServerId is { } serverId && grader.Options.Any(o => o.Name == "serverId"))
            options["serverId"] = serverId.ToString();
        return runs.StartAsync(new StartRunRequest(a.Grader, new TargetDto(s.TargetHost ?? "", s.TargetPort),
            JsonSerializer.SerializeToElement(options)), owner, ct);
    }

    public async Task<SubmissionDto> RegradeAsync(Guid submissionId, Viewer actor, CancellationToken ct)
    {
        RequireStaff(actor);
        var s = await ReloadAsync(submissionId, ct);
        var a = await LoadAssignmentAsync(s.AssignmentId, ct);
        // The run belongs to the student, as their own submission's did; the original time (and so lateness) stays.
        var run = await StartGraderAsync(a, s, new Viewer(s.StudentId, s.StudentName, s.StudentEmail, Roles.Student), ct);
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            var tracked = await db.Submissions.FirstAsync(x => x.Id == submissionId, ct);
            tracked.RunId = run.Id;
            tracked.Status = SubmissionStatus.Grading;
            tracked.Error = null;
            await db.SaveChangesAsync(ct);
        }
        SubmissionChanged?.Invoke(submissionId);
        await CompleteAsync(run.Id, CancellationToken.None);
        return await ToDtoAsync(await ReloadAsync(submissionId, ct), a, actor, ct);
    }

    public async Task<SubmissionDto> OverrideAsync(Guid submissionId, OverrideRequest request, Viewer actor, CancellationToken ct)
    {
        RequireStaff(actor);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var s = await db.Submissions.FirstOrDefaultAsync(x => x.Id == submissionId, ct) ?? throw ProblemException.NotFound("submission", submissionId);
        if (request.Score is { } score && (!double.IsFinite(score) || score < 0 || score > s.MaxScore * 2))
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["score"] = [$"score must be between 0 and {s.MaxScore * 2} (twice the points, for bonus)."] });
        // A null score removes the override; the grader's score was never touched.
        s.OverrideScore = request.Score;
        s.OverrideComment = request.Score is null ? null : request.Comment?.Trim();
        s.OverrideBy = request.Score is null ? null : actor.Name;
        await db.SaveChangesAsync(ct);
        SubmissionChanged?.Invoke(submissionId);
        return await ToDtoAsync(s, await LoadAssignmentAsync(s.AssignmentId, ct), actor, ct);
    }

    /// <summary>A submission the viewer may see: a student's own; someone else's is 404.</summary>
    public async Task<SubmissionDto> GetSubmissionAsync(Guid id, Viewer viewer, CancellationToken ct)
    {
        var s = await ReloadAsync(id, ct);
        if (!viewer.CanSee(s.StudentId))
            throw ProblemException.NotFound("submission", id);
        return await ToDtoAsync(s, await LoadAssignmentAsync(s.AssignmentId, ct), viewer, ct);
    }

    /// <summary>An assignment's submissions, newest first: all for staff, a student's own.</summary>
    public async Task<IReadOnlyList<SubmissionDto>> SubmissionsAsync(Guid assignmentId, Viewer viewer, CancellationToken ct)
    {
        var a = await LoadAssignmentAsync(assignmentId, ct);
        await using var db = await contexts.CreateDbContextAsync(ct);
        var query = db.Submissions.AsNoTracking().Where(s => s.AssignmentId == assignmentId);
        if (!viewer.IsStaff)
            query = query.Where(s => s.StudentId == viewer.Id);
        var list = (await query.ToListAsync(ct)).OrderByDescending(s => s.SubmittedAt).ThenByDescending(s => s.Attempt).ToList();
        var result = new List<SubmissionDto>(list.Count);
        foreach (var s in list)
            result.Add(await ToDtoAsync(s, a, viewer, ct));
        return result;
    }

    // ---- the gradebook ----

    /// <summary>Students down, assignments across, the counting score in each cell. A student sees only their own row.</summary>
    public async Task<GradebookDto> GradebookAsync(Viewer viewer, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        var assignments = (await db.Assignments.AsNoTracking().ToListAsync(ct)).OrderBy(a => a.DueAt).ThenBy(a => a.Title).ToList();
        var query = db.Submissions.AsNoTracking();
        if (!viewer.IsStaff)
            query = query.Where(s => s.StudentId == viewer.Id);
        var submissions = await query.ToListAsync(ct);

        var people = new Dictionary<string, (string Email, string Name)>();
        if (viewer.IsStaff)
        {
            // UserAccounts is scoped (Identity's UserManager); this service is a singleton.
            await using var scope = scopes.CreateAsyncScope();
            foreach (var u in await scope.ServiceProvider.GetRequiredService<UserAccounts>().ListAsync(ct))
                if (u.Role == Roles.Student)
                    people[u.Id] = (u.Email, u.Name);
        }
        else
            people[viewer.Id] = (viewer.Email, viewer.Name);
        foreach (var s in submissions)
            people.TryAdd(s.StudentId, (s.StudentEmail, s.StudentName)); // staff who submitted, and deleted accounts

        var rows = people
            .Select(p =>
            {
                var cells = assignments.Select(a => Cell(a, [.. submissions.Where(s => s.AssignmentId == a.Id && s.StudentId == p.Key)]))
                    // A student's graded run is not theirs to open before an afterDue assignment is due (RunStore hides it): no link to it either.
                    .Select((c, i) => !viewer.IsStaff && assignments[i].Details == DetailsVisibility.AfterDue && assignments[i].DueAt > Now ? c with { RunId = null } : c)
                    .ToList();
                return new GradebookRow(p.Key, p.Value.Email, p.Value.Name, cells, Math.Round(cells.Sum(c => c.Score ?? 0), 2));
            })
            .OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ThenBy(r => r.Email, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new GradebookDto([.. assignments.Select(a => new GradebookColumn(a.Id, a.Title, a.Points, AssignmentDto.Utc(a.DueAt)))], rows);
    }

    /// <summary>One row per student: email, name, each assignment's score, total (RFC 4180 quoting).</summary>
    public static string ToCsv(GradebookDto book)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', new[] { "email", "name" }.Concat(book.Assignments.Select(a => a.Title)).Append("total").Select(Quote)).Append("\r\n");
        foreach (var row in book.Students)
        {
            csv.AppendJoin(',', new[] { row.Email, row.Name }.Concat(row.Cells.Select(c => c.Score is { } s ? Number(s) : ""))
                .Append(Number(row.Total)).Select(Quote)).Append("\r\n");
        }
        return csv.ToString();

        static string Number(double d) => d.ToString("0.##", CultureInfo.InvariantCulture);
        static string Quote(string s) => s.IndexOfAny([',', '"', '\r', '\n']) >= 0 || s.StartsWith(' ') || s.EndsWith(' ') ? $"\"{s.Replace("\"", "\"\"")}\"" : s;
    }

    /// <summary>The counting submission: the best or the last graded one (an override counts instead of its score).</summary>
    public static GradeCell Cell(AssignmentEntity a, IReadOnlyList<SubmissionEntity> mine)
    {
        var scored = mine.Where(s => Counted(s) is not null).ToList();
        var counting = a.Counts == ScoreCounts.Best
            ? scored.OrderByDescending(s => Counted(s)).ThenByDescending(s => s.SubmittedAt).FirstOrDefault()
            : scored.OrderByDescending(s => s.SubmittedAt).ThenByDescending(s => s.Attempt).FirstOrDefault();
        var latest = mine.OrderByDescending(s => s.SubmittedAt).ThenByDescending(s => s.Attempt).FirstOrDefault();
        var shown = counting ?? latest;
        return new GradeCell(a.Id, counting is null ? null : Counted(counting), shown?.Late ?? false, counting?.OverrideScore is not null,
            shown?.Id, shown?.RunId, mine.Count, shown?.Status.ToString());
    }

    private static double? Counted(SubmissionEntity s) => s.OverrideScore ?? s.Score;

    // ---- grading when a run ends ----

    public Task StartAsync(CancellationToken cancellationToken)
    {
        runs.RunChanged += OnRunChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        runs.RunChanged -= OnRunChanged;
        return Task.CompletedTask;
    }

    private void OnRunChanged(RunChange change)
    {
        if (change.Run.Status != RunStatus.Running)
            _ = Task.Run(() => CompleteAsync(change.Run.Id, CancellationToken.None));
    }

    /// <summary>
    /// Records the score of the submission graded by a run that ended; idempotent, and a no-op for
    /// runs that grade no submission or still run. A run that failed leaves the submission Failed with why.
    /// </summary>
    private async Task CompleteAsync(Guid runId, CancellationToken ct)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(ct);
            var s = await db.Submissions.FirstOrDefaultAsync(x => x.RunId == runId, ct);
            if (s is null || s.Status != SubmissionStatus.Grading)
                return;
            var run = await runStore.LoadAsync(runId, ct);
            if (run.Status == RunStatus.Running)
                return;
            var a = await db.Assignments.AsNoTracking().FirstAsync(x => x.Id == s.AssignmentId, ct);
            var score = (double?)run.Summary?["score"];
            var max = (double?)run.Summary?["maxScore"];
            if (run.Status == RunStatus.Succeeded && score is { } got && max is > 0)
            {
                s.GraderScore = got;
                s.GraderMaxScore = max;
                var scaled = a.Points * got / max.Value;
                if (s.Late)
                    scaled *= 1 - a.LatePenaltyPercent / 100;
                s.Score = Math.Round(scaled, 2);
                s.Status = SubmissionStatus.Graded;
                s.Error = null;
            }
            else
            {
                s.Status = SubmissionStatus.Failed;
                s.Score = null;
                s.Error = run.Error ?? $"The grader's run ended {run.Status} without a score.";
            }
            s.GradedAt = Now;
            await db.SaveChangesAsync(ct);
            SubmissionChanged?.Invoke(s.Id);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not record the grade of run {RunId}", runId);
        }
    }

    // ---- helpers ----

    private async Task<SubmissionDto> ToDtoAsync(SubmissionEntity s, AssignmentEntity a, Viewer viewer, CancellationToken ct)
    {
        // Staff always see the checks; students as the assignment's visibility allows.
        var hidden = !viewer.IsStaff && a.Details == DetailsVisibility.AfterDue && Now <= a.DueAt;
        IReadOnlyList<CheckDto>? checks = null;
        if (!hidden && s.RunId is { } runId && s.Status != SubmissionStatus.Grading)
        {
            checks = [.. (await runStore.StoredEventsAsync(runId, ct)).Select(LabJson.Deserialize).OfType<Check>()
                .Select(c => new CheckDto(c.Name, c.Passed, c.Points, c.MaxPoints, c.Expected, c.Actual))];
        }
        return new SubmissionDto(s.Id, s.AssignmentId, s.StudentId, s.StudentName, s.StudentEmail, s.Attempt, s.RunId, s.ServerId,
            s.TargetHost is null ? null : new TargetDto(s.TargetHost, s.TargetPort), s.Status.ToString(), s.Error,
            AssignmentDto.Utc(s.SubmittedAt), s.Late, s.Score, s.MaxScore, s.GraderScore, s.GraderMaxScore, s.OverrideScore, s.OverrideComment,
            Counted(s), checks, hidden);
    }

    private async Task<AssignmentEntity> LoadAssignmentAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Assignments.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id, ct) ?? throw ProblemException.NotFound("assignment", id);
    }

    private async Task<SubmissionEntity> ReloadAsync(Guid id, CancellationToken ct)
    {
        await using var db = await contexts.CreateDbContextAsync(ct);
        return await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct) ?? throw ProblemException.NotFound("submission", id);
    }

    private static void RequireStaff(Viewer actor)
    {
        if (!actor.IsStaff)
            throw new ProblemException(StatusCodes.Status403Forbidden, "Forbidden", "Only instructors and admins manage assignments and grades.");
    }
}
