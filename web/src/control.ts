// An operator's control command (POST /api/v1/control/{verb}) and the line saying how it went.
import { useState } from "react";
import { postJson } from "./api";

export function useControl(token: string): {
  message: string | null; send: (verb: string, body: Record<string, unknown>) => Promise<void>;
} {
  const [message, setMessage] = useState<string | null>(null);
  const send = async (verb: string, body: Record<string, unknown>) => {
    try {
      await postJson(`/api/v1/control/${verb}`, token, body);
      setMessage(`${verb} sent`);
    } catch (e) {
      setMessage(`${verb} failed: ${(e as Error).message}`);
    }
  };
  return { message, send };
}
