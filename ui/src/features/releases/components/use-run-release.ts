// "Run this release": start it (the runtime answers once it runs or crashed), then tell which.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { toast } from "sonner";
import { afterRuntimeChange, startRelease } from "@/features/runtime/api";
import { toastError } from "@/lib/form";

export function useRunRelease(pid: string) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (version: string) => startRelease(pid, version),
    onMutate: (version) => toast.loading(t("service.starting", { version }), { id: `start-${pid}` }),
    onSuccess: async (state, version) => {
      await afterRuntimeChange(queryClient, pid, state);
      if (state.state === "crashed") toast.error(t("service.crashedToast", { reason: state.reason ?? "" }), { id: `start-${pid}` });
      else toast.success(t("service.startedToast", { version }), { id: `start-${pid}` });
    },
    onError: (error) => {
      toast.dismiss(`start-${pid}`);
      toastError(error);
    },
  });
}
