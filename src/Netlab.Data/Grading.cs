namespace Netlab.Data;

/// <summary>What a student hands in for an assignment: a server Netlab connects to, or a client Netlab's server records.</summary>
public enum AssignmentTarget { StudentServer, StudentClient }

/// <summary>Which submission's score counts when a student submits more than once.</summary>
public enum ScoreCounts { Best, Last }

/// <summary>When a student sees the checks of a graded submission (as Gradescope's visibility does): at once, or after the due date.</summary>
public enum DetailsVisibility { Always, AfterDue }

public enum SubmissionStatus { Grading, Graded, Failed }

/// <summary>
/// An assignment: a lab's grader (a probe kind, looked up in the catalog, never named here) with its
/// options, the points it is worth, when it is due and how late and repeated submissions count.
/// </summary>
public sealed class AssignmentEntity
{
    public Guid Id { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public required string Lab { get; set; }
    /// <summary>The grader's probe kind id.</summary>
    public required string Grader { get; set; }
    public AssignmentTarget Target { get; set; }
    /// <summary>The grader's validated options as JSON.</summary>
    public required string OptionsJson { get; set; }
    /// <summary>Options of the Netlab server started for a student (student-client assignments), as JSON.</summary>
    public string ServerOptionsJson { get; set; } = "{}";
    public double Points { get; set; }
    public DateTime DueAt { get; set; }
    /// <summary>False: submissions after the due date are refused.</summary>
    public bool AcceptLate { get; set; } = true;
    /// <summary>Percent of the points taken off a late submission's score.</summary>
    public double LatePenaltyPercent { get; set; }
    /// <summary>Submissions a student may make; 0 = any number.</summary>
    public int Attempts { get; set; }
    public ScoreCounts Counts { get; set; }
    public DetailsVisibility Details { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
}

/// <summary>One graded attempt: the run of the grader (owned by the student) and its score once it ended.</summary>
public sealed class SubmissionEntity
{
    public Guid Id { get; set; }
    public Guid AssignmentId { get; set; }
    public required string StudentId { get; set; }
    public required string StudentName { get; set; }
    public string StudentEmail { get; set; } = "";
    public int Attempt { get; set; }
    /// <summary>The grader's run; replaced by a regrade (the earlier run stays in the runs list).</summary>
    public Guid? RunId { get; set; }
    /// <summary>The Netlab server whose stored session a client grader read.</summary>
    public Guid? ServerId { get; set; }
    public string? TargetHost { get; set; }
    public int TargetPort { get; set; }
    public SubmissionStatus Status { get; set; }
    public string? Error { get; set; }
    public DateTime SubmittedAt { get; set; }
    public bool Late { get; set; }
    /// <summary>The grader's own score and maximum (its Summary), before scaling to the assignment's points.</summary>
    public double? GraderScore { get; set; }
    public double? GraderMaxScore { get; set; }
    /// <summary>The score in the assignment's points, the late penalty applied.</summary>
    public double? Score { get; set; }
    public double MaxScore { get; set; }
    /// <summary>An instructor's score, shown and counted instead of <see cref="Score"/>; both are kept.</summary>
    public double? OverrideScore { get; set; }
    public string? OverrideComment { get; set; }
    public string? OverrideBy { get; set; }
    public DateTime? GradedAt { get; set; }
}
