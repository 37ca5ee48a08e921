/** The restricted Pod Security profile every Job and Workflow pod runs with (docs/operations.md#engines). */

export interface RunAs {
  runAsUser?: number;
  runAsGroup?: number;
}

export interface PodSecurityContext extends RunAs {
  runAsNonRoot: true;
  seccompProfile: { type: "RuntimeDefault" };
}

export interface ContainerSecurityContext {
  allowPrivilegeEscalation: false;
  capabilities: { drop: ["ALL"] };
}

export function podSecurityContext(runAs: RunAs): PodSecurityContext {
  return {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    ...(runAs.runAsUser !== undefined ? { runAsUser: runAs.runAsUser } : {}),
    ...(runAs.runAsGroup !== undefined ? { runAsGroup: runAs.runAsGroup } : {}),
  };
}

export function containerSecurityContext(): ContainerSecurityContext {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
}
