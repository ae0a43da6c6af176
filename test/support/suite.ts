/** Per-test control planes and projects for a suite, closed and removed after it. */
import { ControlPlane } from "../../control-plane/server";
import { Project, controlPlane } from "../../scripts/harness";

export function suiteProjects(): { setup(stackName: string): Promise<{ cp: ControlPlane; project: Project }>; onCleanup(fn: () => Promise<void> | void): void } {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return {
    async setup(stackName) {
      const cp = await controlPlane();
      const project = new Project(cp, stackName);
      cleanups.push(() => cp.close(), () => project.cleanup());
      return { cp, project };
    },
    onCleanup: (fn) => cleanups.push(fn),
  };
}
