using System.Text.Json;
using Netlab.Data;
using Netlab.Web.Runs;

namespace Netlab.Web.Grading;

/// <summary>The API's spellings of the assignment enums ("student-server", "best", "afterDue").</summary>
public static class GradingNames
{
    public static string Of(AssignmentTarget t) => t == AssignmentTarget.StudentServer ? "student-server" : "student-client";
    public static string Of(ScoreCounts c) => c == ScoreCounts.Best ? "best" : "last";
    public static string Of(DetailsVisibility d) => d == DetailsVisibility.Always ? "always" : "afterDue";

    public static AssignmentTarget? Target(string? s) => s?.Trim().ToLowerInvariant() switch
    {
        "student-server" or "studentserver" => AssignmentTarget.StudentServer,
        "student-client" or "studentclient" => AssignmentTarget.StudentClient,
        _ => null,
    };

    public static ScoreCounts? Counts(string? s) => s?.Trim().ToLowerInvariant() switch { "best" => ScoreCounts.Best, "last" => ScoreCounts.Last, _ => null };

    public static DetailsVisibility? Details(string? s) => s?.Trim().ToLowerInvariant() switch
    {
        "always" => DetailsVisibility.Always,
        "afterdue" or "after-due" => DetailsVisibility.AfterDue,
        _ => null,
    };
}

/// <summary>Body of POST and PUT /api/assignments. Missing fields take defaults on create and stay as they were on update.</summary>
public sealed record AssignmentRequest(string? Title, string? Lab, string? Grader, string? Target, JsonElement? Options, double? Points, DateTimeOffset? DueAt,
    double? LatePenaltyPercent = null, int? Attempts = null, string? Counts = null, string? Details = null, bool? AcceptLate = null,
    string? Description = null, JsonElement? ServerOptions = null);

public sealed record AssignmentDto(Guid Id, string Title, string Description, string Lab, string Grader, string Target, JsonElement Options, JsonElement ServerOptions,
    double Points, DateTime DueAt, bool AcceptLate, double LatePenaltyPercent, int Attempts, string Counts, string Details, DateTime CreatedAt)
{
    public static AssignmentDto From(AssignmentEntity a) => new(a.Id, a.Title, a.Description, a.Lab, a.Grader, GradingNames.Of(a.Target),
        JsonElement.Parse(a.OptionsJson), JsonElement.Parse(a.ServerOptionsJson), a.Points, Utc(a.DueAt), a.AcceptLate, a.LatePenaltyPercent,
        a.Attempts, GradingNames.Of(a.Counts), GradingNames.Of(a.Details), Utc(a.CreatedAt));

    internal static DateTime Utc(DateTime d) => DateTime.SpecifyKind(d, DateTimeKind.Utc);
}

/// <summary>Body of POST /api/assignments/{id}/submissions: the student's server, or the Netlab server their client talked to.</summary>
public sealed record SubmitRequest(TargetDto? Target, Guid? ServerId);

public sealed record OverrideRequest(double? Score, string? Comment);

/// <summary>One check of a graded run as a submission shows it.</summary>
public sealed record CheckDto(string Name, bool Passed, double Points, double MaxPoints, string Expected, string Actual);

/// <summary>
/// A submission as the API shows it. Score is the grader's, scaled to the assignment's points with
/// the late penalty; OverrideScore (with its comment) replaces it where set; Counted is the one that
/// counts. Checks is null while hidden (details after the due date) or not graded yet.
/// </summary>
public sealed record SubmissionDto(Guid Id, Guid AssignmentId, string StudentId, string StudentName, string StudentEmail, int Attempt,
    Guid? RunId, Guid? ServerId, TargetDto? Target, string Status, string? Error, DateTime SubmittedAt, bool Late,
    double? Score, double MaxScore, double? GraderScore, double? GraderMaxScore, double? OverrideScore, string? OverrideComment, double? Counted,
    IReadOnlyList<CheckDto>? Checks, bool DetailsHidden);

/// <summary>One cell of the gradebook: the counting submission of a student for an assignment.</summary>
public sealed record GradeCell(Guid AssignmentId, double? Score, bool Late, bool Overridden, Guid? SubmissionId, Guid? RunId, int Attempts, string? Status);

public sealed record GradebookRow(string StudentId, string Email, string Name, IReadOnlyList<GradeCell> Cells, double Total);

public sealed record GradebookColumn(Guid Id, string Title, double Points, DateTime DueAt);

public sealed record GradebookDto(IReadOnlyList<GradebookColumn> Assignments, IReadOnlyList<GradebookRow> Students);
